#!/bin/sh
# stamp: an exec plugin (protocol dslrun.plugin/v1) in POSIX shell.
#
# Returns the step's with: value with the attempt and protocol it ran under.
# With {"refuse": true} it fails with the typed, non-retryable error Refused.
set -eu
input=$(cat)
case $input in
*'"refuse":true'*)
	# A typed failure: a JSON error on stdout and a non-zero exit status.
	printf '{"error": {"type": "Refused", "message": "asked to refuse", "nonRetryable": true, "details": {"attempt": %s}}}\n' "$DSLRUN_ATTEMPT"
	exit 1
	;;
esac
echo '{"type": "log", "level": "info", "message": "stamping"}' >&3
printf '{"input": %s, "attempt": %s, "protocol": "%s"}\n' "$input" "$DSLRUN_ATTEMPT" "$DSLRUN_PROTOCOL"
