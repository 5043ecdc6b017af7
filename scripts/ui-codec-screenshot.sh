#!/usr/bin/env bash
# ui-codec-screenshot.sh takes a screenshot of a run's page in the Temporal
# Web UI of `dslrun dev` started with a payload codec key: the server stores
# the run's input encrypted, and the UI shows it decoded through the codec
# server that dev runs for it.
#
#   scripts/ui-codec-screenshot.sh [output.png]     (default docs/ui-codec.png)
#
# It installs Debian's chromium when missing (apt-get, as root), builds
# dslrun, makes a throwaway key, starts `dslrun dev --memory --dir examples`
# with it, runs examples/hello.yaml and captures the run's page with
# headless Chromium. PORT (default 7233) and UI_PORT (default 8233) choose
# the ports.
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-docs/ui-codec.png}
port=${PORT:-7233}
ui_port=${UI_PORT:-8233}
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
"$work/dslrun" codec-key screenshot-1 >"$work/keys"
export DSLRUN_CODEC_KEY_FILE=$work/keys

"$work/dslrun" dev --memory --dir examples --port "$port" --ui-port "$ui_port" >"$work/dev.out" 2>"$work/dev.err" &
dev_pid=$!
for _ in $(seq 100); do
	grep -q '^  SDKs: ' "$work/dev.out" && break
	kill -0 "$dev_pid" 2>/dev/null || { cat "$work/dev.err" >&2; exit 1; }
	sleep 0.1
done
cat "$work/dev.out" >&2

export TEMPORAL_ADDRESS=127.0.0.1:$port
run_id=$("$work/dslrun" apply examples/hello.yaml --input '{"name": "Ada Lovelace"}' --id hello-encrypted -o json |
	sed -n 's/.*"runId": "\([^"]*\)".*/\1/p')

mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/chromium" --virtual-time-budget=15000 \
	--screenshot="$out" --window-size=1400,1100 \
	"$ui/namespaces/default/workflows/hello-encrypted/$run_id/history" 2>"$work/chromium.err" || { cat "$work/chromium.err" >&2; exit 1; }
echo "wrote $out ($(wc -c <"$out") bytes)" >&2
