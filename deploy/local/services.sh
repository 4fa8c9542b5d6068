#!/usr/bin/env bash
# Start, stop and inspect the four DenialOps services as background processes (no Docker).
#   deploy/local/services.sh start|stop|status|logs
# Each service logs to $DENIALOPS_STATE_DIR/logs/<service>.log; pids live in $DENIALOPS_STATE_DIR/pids.
#
# Replicas: ROUTER_REPLICAS / LLM_WORKER_REPLICAS (default 1) run more processes of router / llm-worker
# in the same consumer group (so they share the topics' partitions). Replica i (2, 3, ...) is named
# <service>-i (pid file service-<service>-i.pid, log <service>-i.log) and listens on the port given in
# ROUTER_REPLICA_PORTS / LLM_WORKER_REPLICA_PORTS (space-separated, for replicas 2, 3, ...), else on
# base port + (i-1)*REPLICA_PORT_STEP (default 100: router-2 on 8101). `stop` and `status` cover every
# replica that is running, whatever the replica counts say now.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE_DIR="${DENIALOPS_STATE_DIR:-$ROOT/.local}"
PYTHON="${DENIALOPS_PYTHON:-$ROOT/.venv/bin/python}"
READY_TIMEOUT="${DENIALOPS_READY_TIMEOUT:-120}"

export INTAKE_PORT="${INTAKE_PORT:-8000}"
export ROUTER_PORT="${ROUTER_PORT:-8001}"
export LLM_WORKER_PORT="${LLM_WORKER_PORT:-8002}"
export HEALTH_PORT="${HEALTH_PORT:-8003}"

ROUTER_REPLICAS="${ROUTER_REPLICAS:-1}"
LLM_WORKER_REPLICAS="${LLM_WORKER_REPLICAS:-1}"
ROUTER_REPLICA_PORTS="${ROUTER_REPLICA_PORTS:-}"
LLM_WORKER_REPLICA_PORTS="${LLM_WORKER_REPLICA_PORTS:-}"
REPLICA_PORT_STEP="${REPLICA_PORT_STEP:-100}"
for count in "$ROUTER_REPLICAS" "$LLM_WORKER_REPLICAS"; do
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "replica counts must be positive integers" >&2; exit 2; }
done

SERVICES=(intake router llm-worker health)

base_port_of() {
  case "$1" in
    intake) echo "$INTAKE_PORT" ;;
    router) echo "$ROUTER_PORT" ;;
    llm-worker) echo "$LLM_WORKER_PORT" ;;
    health) echo "$HEALTH_PORT" ;;
  esac
}

replicas_of() {
  case "$1" in
    router) echo "$ROUTER_REPLICAS" ;;
    llm-worker) echo "$LLM_WORKER_REPLICAS" ;;
    *) echo 1 ;;
  esac
}

replica_ports_of() {
  case "$1" in
    router) echo "$ROUTER_REPLICA_PORTS" ;;
    llm-worker) echo "$LLM_WORKER_REPLICA_PORTS" ;;
  esac
}

# Instance names: the service itself, then <service>-2, <service>-3, ... for its extra replicas.
service_of() { echo "${1%-[0-9]*}"; }
index_of() {
  if [[ "$1" =~ -([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"; else echo 1; fi
}

# Every instance the replica counts ask for.
configured_instances() {
  local name i
  for name in "${SERVICES[@]}"; do
    echo "$name"
    for ((i = 2; i <= $(replicas_of "$name"); i++)); do
      echo "$name-$i"
    done
  done
}

# The configured instances, then any other replica that has a pid file (started with larger counts).
known_instances() {
  local f instance
  configured_instances
  for f in "$STATE_DIR"/pids/service-*-[0-9]*.pid; do
    [[ -e "$f" ]] || continue
    instance="$(basename "$f" .pid)"
    instance="${instance#service-}"
    configured_instances | grep -qx -- "$instance" || echo "$instance"
  done
}

port_of() {
  local instance="$1" name index ports
  name="$(service_of "$instance")"
  index="$(index_of "$instance")"
  if ((index == 1)); then
    base_port_of "$name"
  elif [[ -f "$(portfile "$instance")" ]]; then
    cat "$(portfile "$instance")"
  else
    read -r -a ports <<<"$(replica_ports_of "$name")"
    if ((${#ports[@]} >= index - 1)); then
      echo "${ports[index - 2]}"
    else
      echo $(($(base_port_of "$name") + (index - 1) * REPLICA_PORT_STEP))
    fi
  fi
}

port_env_of() {
  case "$1" in
    intake) echo INTAKE_PORT ;;
    router) echo ROUTER_PORT ;;
    llm-worker) echo LLM_WORKER_PORT ;;
    health) echo HEALTH_PORT ;;
  esac
}

module_of() { echo "denialops_${1//-/_}"; }
pidfile() { echo "$STATE_DIR/pids/service-$1.pid"; }
portfile() { echo "$STATE_DIR/pids/service-$1.port"; }
logfile() { echo "$STATE_DIR/logs/$1.log"; }

# Health aggregates every instance: the extra replicas are added to the default targets.
default_health_targets() {
  local instance targets=""
  while read -r instance; do
    [[ "$(service_of "$instance")" == health ]] && continue
    targets+="${targets:+,}\"$instance\":\"http://127.0.0.1:$(port_of "$instance")\""
  done < <(configured_instances)
  echo "{$targets}"
}
export HEALTH_TARGETS="${HEALTH_TARGETS:-$(default_health_targets)}"

running_pid() {
  local f
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  local pid
  pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

wait_ready() {
  local instance="$1" port deadline
  port="$(port_of "$instance")"
  deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do
    if ! running_pid "$instance" >/dev/null; then
      echo "$instance exited; last log lines:" >&2
      tail -n 30 "$(logfile "$instance")" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "$instance not ready after ${READY_TIMEOUT}s; last log lines:" >&2
      tail -n 30 "$(logfile "$instance")" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

start() {
  local instance name port pid
  local -a instances
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
  mapfile -t instances < <(configured_instances)
  for instance in "${instances[@]}"; do
    if pid="$(running_pid "$instance")"; then
      echo "$instance already running (pid $pid)"
      continue
    fi
    rm -f "$(portfile "$instance")"
    name="$(service_of "$instance")"
    port="$(port_of "$instance")"
    # Same settings (consumer group included) as the first replica; only the HTTP port differs.
    env "$(port_env_of "$name")=$port" setsid nohup "$PYTHON" -m "$(module_of "$name")" \
      >>"$(logfile "$instance")" 2>&1 </dev/null &
    echo $! >"$(pidfile "$instance")"
    [[ "$instance" == "$name" ]] || echo "$port" >"$(portfile "$instance")"
    echo "$instance starting (pid $!, port $port)"
  done
  for instance in "${instances[@]}"; do
    wait_ready "$instance"
    echo "$instance ready on http://127.0.0.1:$(port_of "$instance")"
  done
}

# An instance is started as the leader of its own process group (setsid): whatever it started (the
# router's extraction workers, multiprocessing's resource tracker) is in that group. Once the leader has
# exited, give the rest a moment to follow it, then kill what is left, so no process outlives `stop`.
stop_group() {
  local instance="$1" pgid="$2"
  for _ in $(seq 1 25); do
    pgrep -g "$pgid" >/dev/null || return 0
    sleep 0.2
  done
  echo "$instance left processes behind; killing them" >&2
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

stop() {
  local instance pid
  local -a instances
  mapfile -t instances < <(known_instances)
  for instance in "${instances[@]}"; do
    if pid="$(running_pid "$instance")"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for instance in "${instances[@]}"; do
    if pid="$(running_pid "$instance")"; then
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "$instance did not stop in 20s; killing" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "$instance stopped"
    fi
    # Also when the leader had died before: what it started may still run.
    [[ -f "$(pidfile "$instance")" ]] && stop_group "$instance" "$(cat "$(pidfile "$instance")")"
    rm -f "$(pidfile "$instance")" "$(portfile "$instance")"
  done
}

status() {
  local rc=0 instance pid
  while read -r instance; do
    if pid="$(running_pid "$instance")"; then
      echo "$instance running (pid $pid, port $(port_of "$instance"))"
    else
      echo "$instance stopped"
      rc=3
    fi
  done < <(known_instances)
  return $rc
}

logs() {
  local files=() instance
  mkdir -p "$STATE_DIR/logs"
  while read -r instance; do
    files+=("$(logfile "$instance")")
  done < <(known_instances)
  touch "${files[@]}"
  tail -n 20 -F "${files[@]}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) logs ;;
  *) echo "usage: $0 start|stop|status|logs" >&2; exit 2 ;;
esac
