#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: `initdb` in a new temporary directory, run as
# an unprivileged user (nobody, when started as root: PostgreSQL refuses to run as root), listening on
# 127.0.0.1 only, on a free port, with password authentication (SCRAM) and TLS (a self-signed certificate,
# which `tls: require` accepts and `tls: verify-full` must refuse).
#
#   Tests/postgres/server.sh start   prints `export LEADSYNC_TEST_POSTGRES_URL=…` and
#                                    `export LEADSYNC_TEST_POSTGRES_DIR=…` for eval
#   Tests/postgres/server.sh stop DIR
#
# Needs Debian's postgresql package (Makefile's deps install it).
set -euo pipefail
command=${1:-start}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

# The server runs on after this script: it must not inherit descriptors of whoever started the script (a
# test runner waiting for its child to exit would wait as long as the server holds them).
close_inherited_descriptors() {
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        case "$fd" in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
}

as_server_user() {
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

case "$command" in
start)
    dir=$(mktemp -d /tmp/leadsync-postgres.XXXXXX)
    chmod 0755 "$dir"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s\n' "$password" > "$dir/password"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.crt" -days 2 \
        -subj "/CN=leadsync-test-postgres" >/dev/null 2>&1
    chmod 0600 "$dir/server.key" "$dir/password"
    [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
    as_server_user "$bindir/initdb" -D "$dir/data" -U leadsync --pwfile="$dir/password" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a test server's data is thrown away; it only makes the tests slower.
    close_inherited_descriptors
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key -c fsync=off -c max_connections=200" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export LEADSYNC_TEST_POSTGRES_URL=postgres://leadsync:$password@127.0.0.1:$port/postgres"
    echo "export LEADSYNC_TEST_POSTGRES_DIR=$dir"
    ;;
stop)
    dir=${2:?usage: server.sh stop DIR}
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
restart)
    # The same server stopped and started again (the tests' "PostgreSQL restarted during a sync").
    dir=${2:?usage: server.sh restart DIR}
    close_inherited_descriptors
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w restart >/dev/null
    ;;
*)
    echo "usage: server.sh start | stop DIR | restart DIR" >&2; exit 64
    ;;
esac
