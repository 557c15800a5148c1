# Sourced by scripts: start a local OCI registry (Debian's docker-registry, the CNCF
# distribution registry) on a free port, demanding the Basic login the emulator's
# GetAuthorizationToken hands out (as ECR does), and stop it when the script exits.
# Exports ECSHIP_REGISTRY_ENDPOINT so ecship pushes there. Needs scripts/setup.

# shellcheck source=scripts/lib/http.sh
. "$(dirname "${BASH_SOURCE[0]}")/http.sh"

start_registry() {
    local dir=$1 port
    mkdir -p "$dir/data"
    port=$(free_port)
    htpasswd -Bbn AWS 123456789012-auth-token >"$dir/htpasswd"
    cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: ecship-local}
auth: {htpasswd: {realm: ecship, path: $dir/htpasswd}}
YAML
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    REGISTRY_PID=$!
    trap 'kill "$REGISTRY_PID" "${EMULATOR_PID:-}" 2>/dev/null || true' EXIT
    if ! wait_for_http "http://127.0.0.1:$port/v2/"; then
        echo "the registry did not start; its log:" >&2
        cat "$dir/registry.log" >&2
        exit 1
    fi
    export ECSHIP_REGISTRY_ENDPOINT=http://127.0.0.1:$port
}
