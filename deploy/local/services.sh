#!/usr/bin/env bash
# Start, stop and inspect the four DenialOps services as background processes (no Docker).
#   deploy/local/services.sh start|stop|status|logs
# Each service logs to $DENIALOPS_STATE_DIR/logs/<service>.log; pids live in $DENIALOPS_STATE_DIR/pids.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE_DIR="${DENIALOPS_STATE_DIR:-$ROOT/.local}"
PYTHON="${DENIALOPS_PYTHON:-$ROOT/.venv/bin/python}"
READY_TIMEOUT="${DENIALOPS_READY_TIMEOUT:-120}"

export INTAKE_PORT="${INTAKE_PORT:-8000}"
export ROUTER_PORT="${ROUTER_PORT:-8001}"
export LLM_WORKER_PORT="${LLM_WORKER_PORT:-8002}"
export HEALTH_PORT="${HEALTH_PORT:-8003}"
export HEALTH_TARGETS="${HEALTH_TARGETS:-{\"intake\":\"http://127.0.0.1:$INTAKE_PORT\",\"router\":\"http://127.0.0.1:$ROUTER_PORT\",\"llm-worker\":\"http://127.0.0.1:$LLM_WORKER_PORT\"\}}"

SERVICES=(intake router llm-worker health)

port_of() {
  case "$1" in
    intake) echo "$INTAKE_PORT" ;;
    router) echo "$ROUTER_PORT" ;;
    llm-worker) echo "$LLM_WORKER_PORT" ;;
    health) echo "$HEALTH_PORT" ;;
  esac
}

module_of() { echo "denialops_${1//-/_}"; }
pidfile() { echo "$STATE_DIR/pids/service-$1.pid"; }

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
  local name="$1" port deadline
  port="$(port_of "$name")"
  deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do
    if ! running_pid "$name" >/dev/null; then
      echo "$name exited; last log lines:" >&2
      tail -n 30 "$STATE_DIR/logs/$name.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "$name not ready after ${READY_TIMEOUT}s; last log lines:" >&2
      tail -n 30 "$STATE_DIR/logs/$name.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

start() {
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
  for name in "${SERVICES[@]}"; do
    if pid="$(running_pid "$name")"; then
      echo "$name already running (pid $pid)"
      continue
    fi
    setsid nohup "$PYTHON" -m "$(module_of "$name")" >>"$STATE_DIR/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile "$name")"
    echo "$name starting (pid $!, port $(port_of "$name"))"
  done
  for name in "${SERVICES[@]}"; do
    wait_ready "$name"
    echo "$name ready on http://127.0.0.1:$(port_of "$name")"
  done
}

stop() {
  local name pid
  for name in "${SERVICES[@]}"; do
    if pid="$(running_pid "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for name in "${SERVICES[@]}"; do
    if pid="$(running_pid "$name")"; then
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "$name did not stop in 20s; killing" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "$name stopped"
    fi
    rm -f "$(pidfile "$name")"
  done
}

status() {
  local rc=0 name pid
  for name in "${SERVICES[@]}"; do
    if pid="$(running_pid "$name")"; then
      echo "$name running (pid $pid, port $(port_of "$name"))"
    else
      echo "$name stopped"
      rc=3
    fi
  done
  return $rc
}

logs() {
  local files=() name
  mkdir -p "$STATE_DIR/logs"
  for name in "${SERVICES[@]}"; do
    files+=("$STATE_DIR/logs/$name.log")
  done
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
