#!/usr/bin/env python3
"""wordcount: an exec plugin (protocol dslrun.plugin/v1) in Python.

Counts the words of a text a line at a time. After each line it sends a
heartbeat on file descriptor 3 with its progress; a retry finds the last
progress in DSLRUN_HEARTBEAT_DETAILS and resumes there instead of starting
over. With crashAfterLine set, the first attempt exits 3 after that line, to
show the resumption.
"""
import json
import os
import sys


def fail(error_type, message, non_retryable=False, details=None):
    """Ends the attempt with a typed failure: a JSON error on stdout, exit 1."""
    error = {"type": error_type, "message": message, "nonRetryable": non_retryable}
    if details is not None:
        error["details"] = details
    json.dump({"error": error}, sys.stdout)
    sys.exit(1)


def main():
    request = json.load(sys.stdin)
    text = request.get("text", "")
    if not text.strip():
        fail("EmptyText", "there are no words to count", non_retryable=True,
             details={"length": len(text)})
    lines = text.splitlines()
    attempt = int(os.environ["DSLRUN_ATTEMPT"])
    progress = json.loads(os.environ.get("DSLRUN_HEARTBEAT_DETAILS") or '{"line": 0, "words": 0}')
    resumed_at = progress["line"]

    messages = os.fdopen(3, "w", buffering=1)  # line-buffered: one message a line
    messages.write(json.dumps({"type": "log", "level": "info", "message": "counting",
                               "fields": {"lines": len(lines), "from": resumed_at}}) + "\n")
    words = progress["words"]
    for i in range(resumed_at, len(lines)):
        words += len(lines[i].split())
        messages.write(json.dumps({"type": "heartbeat", "details": {"line": i + 1, "words": words}}) + "\n")
        if attempt == 1 and request.get("crashAfterLine") == i + 1:
            print("wordcount: crashing after line %d, as asked" % (i + 1), file=sys.stderr)
            sys.exit(3)

    json.dump({"words": words, "lines": len(lines), "attempt": attempt, "resumedAt": resumed_at}, sys.stdout)


if __name__ == "__main__":
    main()
