# Sourced by scripts: start a local OCI registry (Debian's docker-registry, the CNCF
# distribution registry) on a free port, demanding the Basic login the emulator's
# GetAuthorizationToken hands out (as ECR does), and stop it when the script exits.
# Exports ECSHIP_REGISTRY_ENDPOINT so ecship pushes there. Or (start_mirror) one anyone may
# read, in front of public registries. Needs scripts/setup.

# shellcheck source=scripts/lib/http.sh
. "$(dirname "${BASH_SOURCE[0]}")/http.sh"

start_registry() {
    local dir=$1
    mkdir -p "$dir"
    htpasswd -Bbn AWS 123456789012-auth-token >"$dir/htpasswd"
    serve_registry "$dir" "auth: {htpasswd: {realm: ecship, path: $dir/htpasswd}}"
    REGISTRY_PID=$SERVED_PID
    trap 'kill "$REGISTRY_PID" "${EMULATOR_PID:-}" 2>/dev/null || true' EXIT
    export ECSHIP_REGISTRY_ENDPOINT=$SERVED_URL
}

# A registry anyone may read, standing in for public registries (Docker Hub, ECR Public) the
# way `--registry-mirror` puts one in front of them: start_mirror DIR HOST... exports
# ECSHIP_REGISTRY_MIRRORS, so `plan` reads those hosts' images from it. The caller stops
# MIRROR_PID.
start_mirror() {
    local dir=$1 host mirrors=()
    shift
    serve_registry "$dir" ""
    MIRROR_PID=$SERVED_PID
    for host in "$@"; do mirrors+=("$host=$SERVED_URL"); done
    ECSHIP_REGISTRY_MIRRORS=$(IFS=,; echo "${mirrors[*]}")
    export ECSHIP_REGISTRY_MIRRORS
}

# serve_registry DIR AUTH: docker-registry on a free port with storage under DIR and the
# config line AUTH; sets SERVED_PID and SERVED_URL once it answers.
serve_registry() {
    local dir=$1 auth=$2 port
    mkdir -p "$dir/data"
    port=$(free_port)
    cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: ecship-local}
$auth
YAML
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    SERVED_PID=$!
    if ! wait_for_http "http://127.0.0.1:$port/v2/"; then
        echo "the registry did not start; its log:" >&2
        cat "$dir/registry.log" >&2
        exit 1
    fi
    SERVED_URL=http://127.0.0.1:$port
}
