#!/usr/bin/env bash
# Install (Debian's postgresql) and start a throwaway PostgreSQL server for the tests; print its URL.
#
#   export TWINKIT_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
#
# The server listens on 127.0.0.1 only, on a free port, with its data in a fresh folder under /tmp;
# it lives until the machine goes away (stop it with the pg_ctl line this script prints on stderr).
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (runuser).
set -euo pipefail

if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_db_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ROOT=$(mktemp -d /tmp/twinkit-postgres.XXXXXX)
chmod 755 "$ROOT"
[ "$(id -u)" = 0 ] && chown postgres: "$ROOT"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_db_user "$BIN/initdb" -D "$ROOT/data" -U postgres -A trust --no-sync -E UTF8 > "$ROOT/initdb.log"
as_db_user "$BIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c fsync=off -c max_connections=100" start > /dev/null
as_db_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres twinkit_test
echo "stop with: runuser -u postgres -- $BIN/pg_ctl -D $ROOT/data stop" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/twinkit_test"
