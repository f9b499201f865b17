# Shared helpers for Slipway's setup scripts. Sourced, never executed.
# Every value a script needs comes from the environment here, with the documented defaults.
set -euo pipefail

SLIPWAY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SLIPWAY_STATE_DIR=${SLIPWAY_STATE_DIR:-/var/lib/slipway}
export SLIPWAY_ETCD_URL=${SLIPWAY_ETCD_URL:-http://127.0.0.1:2379}
export SLIPWAY_REGISTRY=${SLIPWAY_REGISTRY:-127.0.0.1:5000}
export SLIPWAY_API_PORT=${SLIPWAY_API_PORT:-5080}
export SLIPWAY_SSH_PORT=${SLIPWAY_SSH_PORT:-2222}
export SLIPWAY_ROUTER_PORT=${SLIPWAY_ROUTER_PORT:-8080}
export SLIPWAY_ROUTER_ADMIN_PORT=${SLIPWAY_ROUTER_ADMIN_PORT:-8081}
# Prometheus (per-app and platform metrics, docs/metrics.md): loopback only, for operators.
export SLIPWAY_PROMETHEUS_PORT=${SLIPWAY_PROMETHEUS_PORT:-9090}
export SLIPWAY_PROMETHEUS_URL=${SLIPWAY_PROMETHEUS_URL:-http://127.0.0.1:$SLIPWAY_PROMETHEUS_PORT}
export SLIPWAY_DOMAIN=${SLIPWAY_DOMAIN:-slipway.localhost}
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
LOG_DIR="$SLIPWAY_STATE_DIR/logs"
RUN_DIR="$SLIPWAY_STATE_DIR/run"
# The state dir holds the database, the secrets key, repositories and logs (docs/security.md):
# others may pass through it and run/ (MariaDB runs as mysql from folders inside) but not list
# them; the logs are the owner's only. A subshell's umask, so the scripts' other files keep theirs.
(umask 077; mkdir -p "$LOG_DIR" "$RUN_DIR")
chmod 711 "$SLIPWAY_STATE_DIR" "$RUN_DIR"
chmod 700 "$LOG_DIR"

if [ -t 1 ]; then BOLD=$'\e[1m'; GREEN=$'\e[32m'; DIM=$'\e[2m'; RED=$'\e[31m'; RESET=$'\e[0m'
else BOLD=; GREEN=; DIM=; RED=; RESET=; fi

step() { printf '%s-----> %s%s\n' "$BOLD" "$*" "$RESET"; }
info() { printf '       %s%s%s\n' "$DIM" "$*" "$RESET"; }
fail() { printf '%s !     %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
# Services started in the background announce readiness only by answering, so we ask them.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$what did not become ready within ${limit}s (logs in $LOG_DIR)"
    sleep 0.2
  done
}

# The Debian mirror this machine already uses, read from its apt sources (never hard-coded).
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb .* bookworm ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
  fi
  [ -n "$uri" ] || fail "no Debian mirror found in /etc/apt/sources.list.d/ or /etc/apt/sources.list"
  echo "$uri"
}

pid_alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

# start_daemon NAME COMMAND...: starts COMMAND detached, logging to $LOG_DIR/NAME.log.
start_daemon() {
  local name=$1; shift
  if pid_alive "$name"; then info "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"; return 0; fi
  (umask 077; touch "$LOG_DIR/$name.log"); chmod 600 "$LOG_DIR/$name.log"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
  info "$name started (pid $!, log $LOG_DIR/$name.log)"
}

stop_daemon() {
  local name=$1 pid
  pid_alive "$name" || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  pid=$(cat "$RUN_DIR/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN_DIR/$name.pid"
  info "$name stopped"
}
