#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the datastore contract tests.
#
#   eval "$(bash .ci/postgres.sh)"    # (re)create and start it; exports FN_TEST_POSTGRES_URL
#   bash .ci/postgres.sh stop         # stop it
#
# The cluster lives in ${FN_PG_DIR:-/tmp/fn-conformance-pg}; every start wipes that directory
# and begins from an empty cluster. It listens on 127.0.0.1 only, on a free port, with trust
# authentication and durability switched off (fsync, synchronous_commit): test data only.
# stdout carries exactly one line, the export; all progress goes to stderr.
set -euo pipefail

PG_DIR="$(realpath -m "${FN_PG_DIR:-/tmp/fn-conformance-pg}")"
DATA="$PG_DIR/data"
DB_NAME="fn_test"

# The postgres user may not be allowed into the caller's directory; every path here is absolute.
cd /

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

# PostgreSQL refuses to run as root: run its tools as the `postgres` user when we are root.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_bin() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null \
        | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        printf '%s\n' "$dir"
    fi
}

ensure_installed() {
    if [ -n "$(find_bin)" ]; then
        return
    fi
    log "PostgreSQL not found; installing it with apt-get"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    if [ -z "$(find_bin)" ]; then
        log "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb appeared"
        exit 1
    fi
}

stop_cluster() {
    local bin
    bin="$(find_bin)"
    if [ -z "$bin" ] || [ ! -f "$DATA/postmaster.pid" ]; then
        log "no cluster running in $DATA"
        return
    fi
    log "stopping the cluster in $DATA"
    if ! as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w -t 20 stop >&2; then
        # A stale pid file (the server was killed) leaves nothing to stop.
        log "pg_ctl stop failed; treating the cluster as stopped"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start_cluster() {
    local bin port attempt
    ensure_installed
    bin="$(find_bin)"
    stop_cluster
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_DIR"
    fi
    chmod 0700 "$PG_DIR"

    # A linguistic (ICU) default collation, so that the byte-order listing tests prove the
    # schema's own COLLATE "C" rather than a cluster that happens to sort by bytes anyway.
    log "initdb in $DATA ($bin)"
    if ! as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 --locale-provider=icu --icu-locale=en-US --no-sync \
        >"$PG_DIR/initdb.log" 2>&1; then
        log "initdb with an ICU locale failed; falling back to the C locale"
        as_pg rm -rf "$DATA"
        as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
            --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
            cat "$PG_DIR/initdb.log" >&2
            exit 1
        }
    fi
    # Loopback only, no password: a throwaway cluster that nothing else can reach.
    as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
EOF

    as_pg tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# fn-conformance test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

    for attempt in 1 2 3; do
        port="$(free_port)"
        log "starting on 127.0.0.1:$port (attempt $attempt)"
        if as_pg "$bin/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -o "-p $port" -w -t 20 \
            start >&2; then
            break
        fi
        # Most likely someone took the port between our probe and the server's bind.
        tail -n 5 "$PG_DIR/server.log" >&2 || true
        if [ "$attempt" -eq 3 ]; then
            log "PostgreSQL did not start"
            exit 1
        fi
    done

    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB_NAME" >&2
    printf '%s\n' "$port" >"$PG_DIR/port"
    log "ready: database $DB_NAME on 127.0.0.1:$port"
    printf 'export FN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:%s/%s\n' "$port" "$DB_NAME"
}

case "${1:-start}" in
    start) start_cluster ;;
    stop) stop_cluster ;;
    *)
        log "usage: bash .ci/postgres.sh [start|stop]"
        exit 2
        ;;
esac
