#!/usr/bin/env bash
# Local (no-Docker) infrastructure for development and tests:
#   - Kafka (KRaft, single combined broker+controller) from Maven Central jars
#   - the MongoDB-compatible database, DENIALOPS_DATABASE=ferretdb (default) or secantus:
#       FerretDB v1 (SQLite backend) via a tiny Go launcher, or
#       SecantusDB's secantusd-rs (WiredTiger), built from crates.io: GPL-2.0-only, so it is only ever
#       run as a separate server, never linked into DenialOps
#   - Redis (Debian's redis-server, in memory only), for CACHE_BACKEND=redis
#
# Usage:
#   deploy/local/infra.sh {start|stop|status|restart} [kafka|database|ferretdb|secantus|redis|all]
#   deploy/local/infra.sh reset                       # stop all + wipe data
#   deploy/local/infra.sh kafka-run-class CLASS ARGS  # run a Kafka CLI class
#
# See deploy/local/README.md for environment knobs.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

CACHE_DIR="${DENIALOPS_CACHE:-$HOME/.cache/denialops}"
STATE_DIR="${DENIALOPS_STATE_DIR:-$REPO_ROOT/.local}"
PID_DIR="$STATE_DIR/pids"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-3}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
# Default favours fast startup on small machines (C1 only, serial GC); for
# throughput benchmarks use e.g. "-XX:+UseG1GC -XX:MaxGCPauseMillis=20".
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_STATE="$STATE_DIR/kafka"

FERRETDB_VERSION="v1.24.2"
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
FERRETDB_LOG_LEVEL="${FERRETDB_LOG_LEVEL:-info}"
FERRETDB_BIN_DIR="$CACHE_DIR/ferretdb-$FERRETDB_VERSION"
FERRETDB_BIN="$FERRETDB_BIN_DIR/ferretdb-launcher"
FERRETDB_STATE="$STATE_DIR/ferretdb"

# Which MongoDB-compatible server `all` and `database` mean. Both listen on FERRETDB_PORT unless told
# otherwise, so a client's MONGODB_URI does not depend on the choice.
DATABASE="${DENIALOPS_DATABASE:-ferretdb}"

SECANTUS_VERSION="0.5.3-beta.196"
# The crate's declared rust-version: older toolchains refuse to build it.
SECANTUS_RUST_TOOLCHAIN="1.98"
SECANTUS_PORT="${SECANTUS_PORT:-$FERRETDB_PORT}"
SECANTUS_LOG_LEVEL="${SECANTUS_LOG_LEVEL:-WARNING}"
SECANTUS_CACHE_SIZE="${SECANTUS_CACHE_SIZE:-256M}"
SECANTUS_TTL_SWEEP_SECONDS="${SECANTUS_TTL_SWEEP_SECONDS:-60}"
SECANTUS_HOME="$CACHE_DIR/secantus-$SECANTUS_VERSION"
SECANTUS_BIN="$SECANTUS_HOME/bin/secantusd-rs"
SECANTUS_STATE="$STATE_DIR/secantus"

REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_STATE="$STATE_DIR/redis"

START_TIMEOUT="${INFRA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${INFRA_STOP_TIMEOUT:-20}"

# Substring of /proc/PID/cmdline identifying each component (guards against PID reuse).
KAFKA_MARKER="kafka.Kafka"
FERRETDB_MARKER="ferretdb-launcher"
SECANTUS_MARKER="secantusd-rs"
# redis-server rewrites its command line to "redis-server 127.0.0.1:PORT".
REDIS_MARKER="redis-server"

log() { printf '[infra] %s\n' "$*" >&2; }
die() {
    printf '[infra] ERROR: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $(basename "$0") {start|stop|status|restart} [kafka|database|ferretdb|secantus|redis|all]
       $(basename "$0") reset
       $(basename "$0") kafka-run-class CLASS [ARGS...]
EOF
    exit 2
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found in PATH ($2)"
}

# sha256 of the given files, used to detect stale cached builds.
files_hash() {
    cat "$@" | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- processes

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

marker_for() {
    case "$1" in
    kafka) printf '%s' "$KAFKA_MARKER" ;;
    ferretdb) printf '%s' "$FERRETDB_MARKER" ;;
    secantus) printf '%s' "$SECANTUS_MARKER" ;;
    redis) printf '%s' "$REDIS_MARKER" ;;
    *) die "unknown component: $1" ;;
    esac
}

port_for() {
    case "$1" in
    kafka) printf '%s' "$KAFKA_PORT" ;;
    ferretdb) printf '%s' "$FERRETDB_PORT" ;;
    secantus) printf '%s' "$SECANTUS_PORT" ;;
    redis) printf '%s' "$REDIS_PORT" ;;
    *) die "unknown component: $1" ;;
    esac
}

# True if PID exists and is not a zombie.
alive() {
    local state=""
    kill -0 "$1" 2>/dev/null || return 1
    # Field 3 of /proc/PID/stat is the state; the command name (field 2) is in parentheses.
    state="$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1 || true)"
    [[ -n "$state" && "$state" != "Z" ]]
}

# True if PID is alive and its command line contains MARKER.
pid_matches() {
    local pid="$1" marker="$2" cmdline
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$marker"* ]]
}

# Prints the PID of a running component, or fails. Removes stale pid files.
running_pid() {
    local comp="$1" pf pid
    pf="$(pid_file "$comp")"
    [[ -f "$pf" ]] || return 1
    pid="$(tr -dc '0-9' <"$pf")"
    if pid_matches "$pid" "$(marker_for "$comp")"; then
        printf '%s' "$pid"
        return 0
    fi
    rm -f "$pf"
    return 1
}

port_open() {
    # bash's /dev/tcp; the subshell closes the fd again.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Launch a command detached from this shell (own session, no stdin), record its PID.
launch() {
    local comp="$1" logfile="$2"
    shift 2
    mkdir -p "$PID_DIR"
    # setsid execs (no fork) because a background job is not a group leader,
    # so $! is the PID of the final program.
    nohup setsid "$@" >>"$logfile" 2>&1 </dev/null &
    local pid=$! marker tries=0
    marker="$(marker_for "$comp")"
    printf '%s\n' "$pid" >"$(pid_file "$comp")"
    # Right after the fork the child is still a copy of this shell; wait until it
    # has exec'd the real program, so later PID/cmdline checks are meaningful.
    while alive "$pid" && ! pid_matches "$pid" "$marker" && ((tries < 100)); do
        sleep 0.05
        tries=$((tries + 1))
    done
}

# Succeeds (saying so) when COMPONENT already runs; dies when another process holds its PORT.
already_running() {
    local comp="$1" port="$2" pid
    if pid="$(running_pid "$comp")"; then
        log "$comp: already running (pid $pid, port $port)"
        return 0
    fi
    port_open "$port" && die "$comp: port $port is already in use by another process"
    return 1
}

# Waits until COMPONENT listens on PORT, by DEADLINE (in $SECONDS); fails the start, with the tail
# of LOGFILE (or of TIMEOUT_LOG on a timeout), when it exits or the deadline passes.
await_listening() {
    local comp="$1" port="$2" logfile="$3" deadline="$4" timeout_log="${5:-$3}"
    until port_open "$port"; do
        running_pid "$comp" >/dev/null || fail_start "$comp" "$logfile" "process exited during startup"
        ((SECONDS < deadline)) || fail_start "$comp" "$timeout_log" "not listening after ${START_TIMEOUT}s"
        sleep 0.1
    done
}

fail_start() {
    local comp="$1" logfile="$2" msg="$3"
    log "$comp: $msg"
    if [[ -f "$logfile" ]]; then
        log "---- last 40 lines of $logfile ----"
        tail -n 40 "$logfile" >&2 || true
        log "-----------------------------------"
    fi
    stop_component "$comp" >/dev/null 2>&1 || true
    exit 1
}

stop_component() {
    local comp="$1" pid pf waited=0
    pf="$(pid_file "$comp")"
    if ! pid="$(running_pid "$comp")"; then
        rm -f "$pf"
        log "$comp: not running"
        return 0
    fi
    log "$comp: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && ((waited < STOP_TIMEOUT * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if alive "$pid"; then
        log "$comp: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        waited=0
        while alive "$pid" && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    if pgrep -f -- "$(marker_for "$comp")" | grep -qx "$pid" && alive "$pid"; then
        die "$comp: pid $pid is still running after SIGKILL"
    fi
    rm -f "$pf"
    log "$comp: stopped"
}

status_component() {
    local comp="$1" pid port
    port="$(port_for "$comp")"
    if pid="$(running_pid "$comp")"; then
        printf '%-9s running  pid=%s port=%s\n' "$comp" "$pid" "$port"
        return 0
    fi
    if port_open "$port"; then
        printf '%-9s stopped  (port %s is in use by another process)\n' "$comp" "$port"
    else
        printf '%-9s stopped\n' "$comp"
    fi
    return 3
}

# -------------------------------------------------------------------- Kafka

kafka_java() {
    # Java for Kafka CLI tools: small heap, fast startup, warnings to stderr.
    java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
        "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka/tools-log4j2.properties" \
        -cp "$KAFKA_LIBS/*" "$@"
}

kafka_fetch() {
    local marker="$KAFKA_LIBS/.complete" want tmp
    want="$KAFKA_VERSION $(files_hash "$SCRIPT_DIR/kafka/pom.xml")"
    if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
        return 0
    fi
    need mvn "install Maven 3.8+"
    log "kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
    mkdir -p "$KAFKA_HOME"
    tmp="$KAFKA_HOME/libs.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -B -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" \
        "-Dkafka.version=$KAFKA_VERSION" \
        dependency:copy-dependencies "-DoutputDirectory=$tmp" >"$KAFKA_HOME/fetch.log" 2>&1; then
        rm -rf "$tmp"
        tail -n 40 "$KAFKA_HOME/fetch.log" >&2 || true
        die "kafka: maven dependency resolution failed (full log: $KAFKA_HOME/fetch.log)"
    fi
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    printf '%s\n' "$want" >"$marker"
}

kafka_write_config() {
    mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/logs"
    cat >"$KAFKA_STATE/server.properties" <<EOF
# Generated by deploy/local/infra.sh -- edits are overwritten on start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${KAFKA_STATE}/data
num.partitions=${KAFKA_NUM_PARTITIONS}
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
}

kafka_format() {
    [[ -f "$KAFKA_STATE/data/meta.properties" ]] && return 0
    local cluster_id_file="$KAFKA_STATE/cluster.id" cluster_id
    if [[ ! -s "$cluster_id_file" ]]; then
        # A Kafka cluster id is 16 random bytes, base64url without padding.
        # One in 64 starts with '-', which the storage tool would read as an option (Kafka's own
        # Uuid.randomUuid draws again in that case): draw again too.
        cluster_id="-"
        while [[ "$cluster_id" == -* ]]; do
            cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        done
        printf '%s' "$cluster_id" >"$cluster_id_file"
    fi
    cluster_id="$(cat "$cluster_id_file")"
    log "kafka: formatting KRaft storage (cluster id $cluster_id)"
    kafka_java kafka.tools.StorageTool format --ignore-formatted \
        "--cluster-id=$cluster_id" -c "$KAFKA_STATE/server.properties" \
        >>"$KAFKA_STATE/logs/storage-format.log" 2>&1 ||
        fail_start kafka "$KAFKA_STATE/logs/storage-format.log" "storage format failed"
}

kafka_ready() {
    kafka_java org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --command-config "$KAFKA_STATE/probe.properties" --list >/dev/null 2>&1
}

start_kafka() {
    local logfile="$KAFKA_STATE/logs/kafka.out" deadline heap_opts perf_opts
    already_running kafka "$KAFKA_PORT" && return 0
    need java "install a JDK 17+"
    port_open "$KAFKA_CONTROLLER_PORT" &&
        die "kafka: controller port $KAFKA_CONTROLLER_PORT is already in use by another process"
    kafka_fetch
    kafka_write_config
    kafka_format
    printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n' >"$KAFKA_STATE/probe.properties"

    log "kafka: starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    read -r -a heap_opts <<<"$KAFKA_HEAP_OPTS"
    read -r -a perf_opts <<<"$KAFKA_JVM_PERFORMANCE_OPTS"
    launch kafka "$logfile" java "${heap_opts[@]}" "${perf_opts[@]}" \
        -Djava.awt.headless=true \
        "-Dkafka.logs.dir=$KAFKA_STATE/logs" \
        "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka/log4j2.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties"

    deadline=$((SECONDS + START_TIMEOUT))
    # Wait for the listener first (cheap), then for real metadata via the admin API.
    await_listening kafka "$KAFKA_PORT" "$logfile" "$deadline" "$KAFKA_STATE/logs/server.log"
    until kafka_ready; do
        running_pid kafka >/dev/null || fail_start kafka "$logfile" "process exited during startup"
        ((SECONDS < deadline)) || fail_start kafka "$KAFKA_STATE/logs/server.log" "not serving metadata after ${START_TIMEOUT}s"
        sleep 1
    done
    log "kafka: ready (pid $(running_pid kafka), bootstrap 127.0.0.1:$KAFKA_PORT, logs $KAFKA_STATE/logs)"
}

# ----------------------------------------------------------------- FerretDB

# FerretDB 1.24's SQLite backend creates the _id index on `_ferretdb_sjson->"_id"` but looks documents up
# by `_ferretdb_sjson->'$._id'`: the same JSON value, spelled differently, so SQLite never uses the index
# and every find/update/delete by _id scans the whole table (its cost grows with the data). The launcher
# is built against a cached copy of the module with that one constant respelled (a go.mod `replace`
# in a generated module file; the committed go.mod stays as it is).
FERRETDB_ID_LOOKUP_FROM="->'\$._id'"
FERRETDB_ID_LOOKUP_TO="->'_id'"

# Prints the path of the generated go.mod to build with.
ferretdb_patched_module() {
    local src="$1" work="$FERRETDB_BIN_DIR/build" module_dir metadata
    module_dir="$(cd "$src" && GOWORK=off go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$module_dir" ]] || die "ferretdb: module FerretDB $FERRETDB_VERSION not downloaded"
    rm -rf "$work" && mkdir -p "$work"
    cp -R "$module_dir" "$work/FerretDB" && chmod -R u+w "$work/FerretDB"
    metadata="$work/FerretDB/internal/backends/sqlite/metadata/metadata.go"
    sed -i "s/$FERRETDB_ID_LOOKUP_FROM/$FERRETDB_ID_LOOKUP_TO/" "$metadata"
    grep -q "IDColumn = DefaultColumn + \"$FERRETDB_ID_LOOKUP_TO\"" "$metadata" ||
        die "ferretdb: the _id lookup patch no longer applies to $metadata"
    cp "$src/go.sum" "$work/go.sum"
    { cat "$src/go.mod"; printf '\nreplace github.com/FerretDB/FerretDB => %s\n' "$work/FerretDB"; } >"$work/go.mod"
    printf '%s\n' "$work/go.mod"
}

ferretdb_build() {
    local src="$SCRIPT_DIR/ferretdb" stamp="$FERRETDB_BIN.stamp" want modfile
    want="$(files_hash "$src/go.mod" "$src/go.sum" "$src/main.go") id-lookup:$FERRETDB_ID_LOOKUP_TO"
    if [[ -x "$FERRETDB_BIN" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    need go "install Go 1.24+"
    log "ferretdb: building launcher (FerretDB $FERRETDB_VERSION) into $FERRETDB_BIN"
    mkdir -p "$FERRETDB_BIN_DIR"
    modfile="$(ferretdb_patched_module "$src")"
    (cd "$src" && GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath -buildvcs=false -modfile "$modfile" -o "$FERRETDB_BIN.tmp.$$" .) ||
        die "ferretdb: go build failed"
    mv "$FERRETDB_BIN.tmp.$$" "$FERRETDB_BIN"
    rm -rf "$FERRETDB_BIN_DIR/build"
    printf '%s\n' "$want" >"$stamp"
}

start_ferretdb() {
    local logfile="$FERRETDB_STATE/ferretdb.log"
    already_running ferretdb "$FERRETDB_PORT" && return 0
    ferretdb_build
    mkdir -p "$FERRETDB_STATE/data"

    log "ferretdb: starting on 127.0.0.1:$FERRETDB_PORT (sqlite data $FERRETDB_STATE/data)"
    launch ferretdb "$logfile" "$FERRETDB_BIN" \
        -listen-addr "127.0.0.1:$FERRETDB_PORT" \
        -sqlite-dir "$FERRETDB_STATE/data" \
        -log-level "$FERRETDB_LOG_LEVEL"

    await_listening ferretdb "$FERRETDB_PORT" "$logfile" $((SECONDS + START_TIMEOUT))
    # The listener opens only after the SQLite backend is initialised; a short
    # grace period lets it settle before clients connect.
    sleep 0.5
    running_pid ferretdb >/dev/null || fail_start ferretdb "$logfile" "process exited during startup"
    log "ferretdb: ready (pid $(running_pid ferretdb), mongodb://127.0.0.1:$FERRETDB_PORT/, log $logfile)"
}

# ----------------------------------------------------------------- SecantusDB

secantus_built() {
    [[ -x "$SECANTUS_BIN" && -f "$SECANTUS_BIN.stamp" && "$(cat "$SECANTUS_BIN.stamp")" == "$1" ]]
}

# Built once per version into the cache with the toolchain the crate asks for (installed if missing); a
# cold build compiles WiredTiger and takes minutes. A lock keeps concurrent starts from building twice.
secantus_build() {
    local want="secantus-mdb $SECANTUS_VERSION rust $SECANTUS_RUST_TOOLCHAIN"
    secantus_built "$want" && return 0
    need rustup "install Rust with rustup"
    need cmake "Debian package cmake: WiredTiger is built from source"
    need cc "a C compiler (Debian package gcc): WiredTiger is built from source"
    mkdir -p "$SECANTUS_HOME"
    exec 9>"$SECANTUS_HOME/.build.lock"
    flock 9
    if ! secantus_built "$want"; then
        if ! rustup run "$SECANTUS_RUST_TOOLCHAIN" rustc --version >/dev/null 2>&1; then
            log "secantus: installing Rust $SECANTUS_RUST_TOOLCHAIN with rustup"
            rustup toolchain install "$SECANTUS_RUST_TOOLCHAIN" --profile minimal >&2 ||
                die "secantus: rustup could not install Rust $SECANTUS_RUST_TOOLCHAIN"
        fi
        log "secantus: building secantus-mdb $SECANTUS_VERSION into $SECANTUS_HOME (minutes; log $SECANTUS_HOME/build.log)"
        if ! cargo "+$SECANTUS_RUST_TOOLCHAIN" install --locked --force "secantus-mdb@$SECANTUS_VERSION" \
            --root "$SECANTUS_HOME" >"$SECANTUS_HOME/build.log" 2>&1; then
            tail -n 40 "$SECANTUS_HOME/build.log" >&2 || true
            die "secantus: cargo install failed (full log: $SECANTUS_HOME/build.log)"
        fi
        printf '%s\n' "$want" >"$SECANTUS_BIN.stamp"
    fi
    exec 9>&-
}

secantus_write_config() {
    # Read through --config, which also keeps the server from picking up a secantusd.toml of the
    # current directory or of the user's home.
    cat >"$SECANTUS_STATE/secantusd.toml" <<TOML
# Generated by deploy/local/infra.sh -- edits are overwritten on start.
[server]
host = "127.0.0.1"
port = ${SECANTUS_PORT}
storage_path = "${SECANTUS_STATE}/data"
log_level = "${SECANTUS_LOG_LEVEL}"

[storage]
# Each commit's log record is fsynced before the write is acknowledged: a kill -9 loses no
# acknowledged write (off by default in secantusd-rs).
sync_on_commit = true
cache_size = "${SECANTUS_CACHE_SIZE}"
# A WiredTiger log file is allocated in full: the 128MB default is a lot for each test stack.
log_file_max = "16MB"
ttl_sweep_seconds = ${SECANTUS_TTL_SWEEP_SECONDS}
TOML
}

start_secantus() {
    local logfile="$SECANTUS_STATE/secantus.log"
    already_running secantus "$SECANTUS_PORT" && return 0
    secantus_build
    mkdir -p "$SECANTUS_STATE/data"
    secantus_write_config

    log "secantus: starting secantusd-rs $SECANTUS_VERSION on 127.0.0.1:$SECANTUS_PORT (data $SECANTUS_STATE/data)"
    launch secantus "$logfile" "$SECANTUS_BIN" --config "$SECANTUS_STATE/secantusd.toml"

    # It binds only once WiredTiger has opened (and recovered) the data directory.
    await_listening secantus "$SECANTUS_PORT" "$logfile" $((SECONDS + START_TIMEOUT))
    log "secantus: ready (pid $(running_pid secantus), mongodb://127.0.0.1:$SECANTUS_PORT/, log $logfile)"
}

# -------------------------------------------------------------------- Redis

start_redis() {
    local logfile="$REDIS_STATE/redis.log"
    already_running redis "$REDIS_PORT" && return 0
    need redis-server "Debian package redis-server: deploy/local/system-packages.sh installs it"
    mkdir -p "$REDIS_STATE"

    # A cache: nothing is saved to disk (no RDB snapshots, no append-only file); loopback only.
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    launch redis "$logfile" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_STATE" \
        --save "" --appendonly no --daemonize no --protected-mode yes --logfile ""

    await_listening redis "$REDIS_PORT" "$logfile" $((SECONDS + START_TIMEOUT))
    log "redis: ready (pid $(running_pid redis), redis://127.0.0.1:$REDIS_PORT/0, log $logfile)"
}

# --------------------------------------------------------------------- main

components_for() {
    case "${1:-all}" in
    all) printf 'kafka %s redis' "$DATABASE" ;;
    database) printf '%s' "$DATABASE" ;;
    kafka | ferretdb | secantus | redis) printf '%s' "$1" ;;
    *) usage ;;
    esac
}

main() {
    local cmd="${1:-}" target comps comp rc=0
    [[ -n "$cmd" ]] || usage
    shift
    mkdir -p "$STATE_DIR"
    [[ "$DATABASE" == ferretdb || "$DATABASE" == secantus ]] ||
        die "DENIALOPS_DATABASE must be ferretdb or secantus, not '$DATABASE'"

    case "$cmd" in
    start | stop | status | restart)
        [[ $# -le 1 ]] || usage
        target="${1:-all}"
        comps="$(components_for "$target")"
        ;;
    reset)
        [[ $# -eq 0 ]] || usage
        ;;
    kafka-run-class)
        [[ $# -ge 1 ]] || usage
        kafka_fetch
        kafka_java "$@"
        return
        ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac

    case "$cmd" in
    start)
        for comp in $comps; do "start_$comp"; done
        ;;
    stop)
        # `stop all` stops either database, so a stack started under the other selection is not left running.
        [[ "$target" == all ]] && comps="kafka ferretdb secantus redis"
        for comp in $comps; do stop_component "$comp"; done
        ;;
    restart)
        for comp in $comps; do stop_component "$comp"; done
        for comp in $comps; do "start_$comp"; done
        ;;
    status)
        for comp in $comps; do status_component "$comp" || rc=3; done
        return "$rc"
        ;;
    reset)
        stop_component kafka
        stop_component ferretdb
        stop_component secantus
        stop_component redis
        log "wiping $KAFKA_STATE, $FERRETDB_STATE, $SECANTUS_STATE and $REDIS_STATE"
        rm -rf "$KAFKA_STATE" "$FERRETDB_STATE" "$SECANTUS_STATE" "$REDIS_STATE"
        ;;
    esac
}

main "$@"
