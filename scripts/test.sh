#!/usr/bin/env bash
# Run the whole test suite (sets up first if needed). Extra arguments go to pytest.
# The rights registry's tests run on SQLite and, when a PostgreSQL server can be started here
# (Debian package, needs root or sudo), on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/twin ] || bash scripts/setup.sh
if [ -z "${TWINKIT_TEST_POSTGRES_URL:-}" ]; then
  if url=$(bash .ci/postgres.sh 2>/tmp/twinkit-postgres.log); then
    export TWINKIT_TEST_POSTGRES_URL="$url"
  else
    echo "note: no PostgreSQL server could be started (see /tmp/twinkit-postgres.log); its tests skip" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
