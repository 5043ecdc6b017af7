#!/usr/bin/env bash
# cold-apply.sh measures a cold `dslrun apply examples/hello.yaml`: a new
# process every time, which starts the embedded server in memory and a
# worker, runs the workflow, prints its result and exits.
#
#   scripts/cold-apply.sh [-n RUNS] [-p] [BINARY...]
#
# With no BINARY it builds ./cmd/dslrun into a temporary directory. With
# several, their runs alternate (1 2 1 2 ...), so that a change of load on
# the machine affects them alike. For each binary it prints the median,
# minimum and maximum of the wall time and of the CPU time (user + system)
# of RUNS runs (default 10), and the load average before and after.
#
# -p then runs the first binary once more with --log-level info and a log
# file, and prints the start-up milestones found in that log (the lines of
# dslrun, of the server's services starting, of the worker) in milliseconds
# since the exec of the process. The log is written as the run goes, so the
# figures of that run are a little higher.
set -euo pipefail

cd "$(dirname "$0")/.."
runs=10
phases=
while getopts n:p opt; do
	case $opt in
	n) runs=$OPTARG ;;
	p) phases=1 ;;
	*) echo "usage: $0 [-n RUNS] [-p] [BINARY...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	go build -o "$work/dslrun" ./cmd/dslrun
	bins=("$work/dslrun")
fi
args=(apply examples/hello.yaml --input '{"name":"Ada"}')

# stats FILE COLUMN prints "median M s (MIN–MAX)" of a column of numbers.
stats() {
	cut -d' ' -f"$2" "$1" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "median %.2f s (%.2f–%.2f)", m, v[1], v[NR]
		}'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < runs; i++)); do
	for j in "${!bins[@]}"; do
		# bash's time: wall, user and system seconds of the command.
		TIMEFORMAT='%R %U %S'
		{ time "${bins[$j]}" "${args[@]}" >"$work/out" 2>"$work/err"; } 2>>"$work/times.$j" ||
			{ echo "${bins[$j]} failed:"; cat "$work/err"; exit 1; }
	done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
for j in "${!bins[@]}"; do
	awk '{ print $1, $2 + $3 }' "$work/times.$j" >"$work/t.$j"
	echo "${bins[$j]}: $runs runs, wall $(stats "$work/t.$j" 1), CPU $(stats "$work/t.$j" 2)"
done

if [ -n "$phases" ]; then
	echo "milestones of one more run of ${bins[0]} (ms since exec):"
	start=$(date +%s%N)
	"${bins[0]}" "${args[@]}" --log-level info --log-file "$work/log" >/dev/null 2>&1
	end=$(date +%s%N)
	# Log times are UTC with milliseconds: the server's JSON has
	# "ts":"...T09:32:43.916Z", the SDK's text time=...T09:32:43.780Z.
	grep -E 'dslrun: |"msg":"(Starting server for services|[a-z]+ starting)"|msg="(Started|Stopped) Worker"' "$work/log" |
		sed -E 's/^.*("ts":"|time=)[0-9-]+T([0-9:.]+)Z.*("msg":"|msg=")([^"]*)".*$/\2 \4/' |
		awk -v start="$start" '
			BEGIN { s = start / 1e9; day = s - s % 86400 }
			{
				split($1, t, ":")
				ms = ((t[1] * 3600 + t[2] * 60 + t[3]) + day) * 1000 - start / 1e6
				$1 = ""
				printf "%7.0f %s\n", ms, substr($0, 2)
			}'
	echo "$(((end - start) / 1000000)) exit"
fi
