# Sourced by scripts: start the local AWS emulator (tests/emulator/server.py: moto plus the
# patches documented there) on a free port, point the AWS SDK at it the standard way
# (AWS_ENDPOINT_URL and dummy credentials), and stop it when the script exits.
# Needs .venv from scripts/setup.

# shellcheck source=scripts/lib/http.sh
. "$(dirname "${BASH_SOURCE[0]}")/http.sh"

start_emulator() {
    local log=$1 port
    port=$(free_port)
    EMULATOR_DEPLOY_SECONDS=${EMULATOR_DEPLOY_SECONDS:-2} .venv/bin/python tests/emulator/server.py "$port" >"$log" 2>&1 &
    EMULATOR_PID=$!
    trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
    if ! wait_for_http "http://127.0.0.1:$port/moto-api/config"; then
        echo "the emulator did not start; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
    unset AWS_PROFILE AWS_SESSION_TOKEN
}
