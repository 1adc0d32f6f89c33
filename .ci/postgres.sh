#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 for the engine tests and print `export ...` lines.
#
#   eval "$(.ci/postgres.sh start DIR)"   # data dir, socket and log under DIR
#   .ci/postgres.sh stop DIR
#
# Why like this: initdb refuses to run as root (CI does), so the server runs as the
# unprivileged user `nobody` when we are root; it listens on 127.0.0.1 only, on a free
# port chosen by the kernel, with trust auth (the data dir is private and temporary).
set -euo pipefail

action=${1:?start|stop}
base=${2:?directory}
bindir=""
for candidate in /usr/lib/postgresql/15/bin /usr/local/bin; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; break; fi
done
if [ -z "$bindir" ]; then
    bindir=$(dirname "$(command -v initdb)")
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    mkdir -p "$base"
    if [ "$(id -u)" = 0 ]; then chown nobody "$base"; fi
    chmod 700 "$base"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_owner "$bindir/initdb" -D "$base/data" -U quota --auth=trust --encoding=UTF8 --no-locale >"$base/initdb.log" 2>&1
    as_owner "$bindir/pg_ctl" -D "$base/data" -l "$base/postgres.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $base -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$base/pg_ctl.log" 2>&1
    for database in quota dagster; do
        as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U quota "$database"
    done
    echo "export QUOTA_PG_HOST=127.0.0.1 QUOTA_PG_PORT=$port QUOTA_PG_USER=quota QUOTA_PG_DATABASE=quota"
    echo "export QUOTA_PG_DSN=postgresql://quota@127.0.0.1:$port/quota"
    echo "export QUOTA_DAGSTER_PG_URL=postgresql+psycopg2://quota@127.0.0.1:$port/dagster"
    ;;
stop)
    if [ -f "$base/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$base"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
