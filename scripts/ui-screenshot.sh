#!/usr/bin/env bash
# ui-screenshot.sh takes a screenshot of the Temporal Web UI that
# `dslrun dev` serves, listing DSL runs under their definitions' names.
#
#   scripts/ui-screenshot.sh [output.png]     (default docs/ui-workflows.png)
#
# It installs Debian's chromium when missing (apt-get, as root), builds
# dslrun, starts `dslrun dev --memory --dir examples`, runs a few examples
# against it, and captures http://127.0.0.1:$UI_PORT/namespaces/default/workflows
# with headless Chromium. PORT (default 7233) and UI_PORT (default 8233)
# choose the ports.
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-docs/ui-workflows.png}
port=${PORT:-7233}
ui_port=${UI_PORT:-8233}
address=127.0.0.1:$port
ui=http://127.0.0.1:$ui_port

if ! command -v chromium >/dev/null; then
	apt-get update
	apt-get install -y chromium
fi

work=$(mktemp -d)
dev_pid=
cleanup() {
	if [ -n "$dev_pid" ] && kill -0 "$dev_pid" 2>/dev/null; then
		kill -INT "$dev_pid"
		wait "$dev_pid" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building dslrun" >&2
go build -o "$work/dslrun" ./cmd/dslrun

"$work/dslrun" dev --memory --dir examples --port "$port" --ui-port "$ui_port" >"$work/dev.out" 2>"$work/dev.err" &
dev_pid=$!
for _ in $(seq 100); do
	grep -q '^Point other tools at it' "$work/dev.out" && break
	kill -0 "$dev_pid" 2>/dev/null || { cat "$work/dev.err" >&2; exit 1; }
	sleep 0.1
done
cat "$work/dev.out" >&2

# Runs of three definitions; apply waits for each result, the dev server's
# worker runs them.
export TEMPORAL_ADDRESS=$address
"$work/dslrun" apply examples/hello.yaml --input '{"name": "Ada"}' --id hello-ada -q
"$work/dslrun" apply examples/hello.yaml --id hello-world -q
"$work/dslrun" apply examples/parallel.yaml -q >/dev/null
"$work/dslrun" apply examples/loops.yaml -q >/dev/null

mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/chromium" --virtual-time-budget=10000 \
	--screenshot="$out" --window-size=1400,900 \
	"$ui/namespaces/default/workflows" 2>"$work/chromium.err" || { cat "$work/chromium.err" >&2; exit 1; }
echo "wrote $out ($(wc -c <"$out") bytes)" >&2
