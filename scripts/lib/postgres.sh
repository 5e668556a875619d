# Sourced by scripts/with-postgres and scripts/serve-prod: a throwaway PostgreSQL cluster.
#
#   . scripts/lib/postgres.sh
#   trap pg_stop EXIT
#   pg_start            # sets and exports DATABASE_URL; PG_DIR holds the cluster and its log
#
# Debian's PostgreSQL is installed if missing (as root, with apt-get). The cluster lives in a
# temp dir, listens on a free port of 127.0.0.1 only (and on a Unix socket in that dir: PG_SOCKET=1
# connects through it), trusts local connections, and is
# tuned for speed over durability (fsync off): it is for tests and trying things out, never
# for data you want to keep. PG_DURABLE=1 keeps the server's durable defaults instead (fsync,
# synchronous commit, full page writes: what a production server runs; `make bench` measures
# with it). pg_stop stops it and removes the directory.

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    echo "postgres: installing Debian's postgresql…" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "postgres: PostgreSQL is missing and I am not root: install the 'postgresql' package or set DATABASE_URL" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
  fi
  PG_BIN=$(pg_bin)
  PG_DIR=$(mktemp -d /tmp/claimdesk-pg.XXXXXX)
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [ "${PG_DURABLE:-0}" = "1" ]; then fast=""; fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c max_connections=${PG_MAX_CONNECTIONS:-100} $fast" \
    start >/dev/null
  # PG_SOCKET=1: connect through the Unix socket in PG_DIR rather than TCP on 127.0.0.1 (a
  # query's round trip ~30 % shorter, measured; the test suite's PostgreSQL leg uses it).
  if [ "${PG_SOCKET:-0}" = "1" ]; then
    export DATABASE_URL="postgresql://postgres@${PG_DIR//\//%2F}:$port/postgres"
  else
    export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  fi
  echo "postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port and its socket (throwaway, in $PG_DIR$([ -z "$fast" ] && echo ', durable: fsync on'))" >&2
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
