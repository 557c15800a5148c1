# Sourced by scripts/lib/*.sh: a free local port, and waiting for a local server to answer.

free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait up to 30 s until URL answers HTTP at all (an error status counts: the server is up).
wait_for_http() {
    .venv/bin/python - "$1" <<'PY'
import sys, time, urllib.error, urllib.request
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
