#!/usr/bin/env bash
# The delivery paths against real servers: starts a PostgreSQL server (Debian's `postgresql` package) and
# an S3-compatible server (the Versity S3 Gateway, built once from the Go module proxy) on 127.0.0.1,
# runs test/servers/*.test.ts against them, and always stops them.
#
#   scripts/test-servers.sh                                  every server test
#   scripts/test-servers.sh test/servers/postgres.test.ts   some files
#   scripts/test-servers.sh ctl stop|start postgres|s3       used by the tests to take a server down and back up
#   scripts/test-servers.sh install                          only install what is missing (CI does it ahead, in the background)
#
# Nothing listens beyond loopback; data lives in a fresh temporary directory removed at the end; the
# credentials are random per session and reach the tests only through the environment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/test-servers.sh"
VERSITYGW_VERSION=v1.8.0
CACHE_DIR=${MEDALLION_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/medallion/test-servers}
BUCKET=medallion-lake

say() { printf 'test-servers: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------------
# Server control. State lives in $WORK/state.env so that `ctl` (run by the tests) finds the servers.

# Runs a command as the PostgreSQL owner: initdb and postgres refuse to run as root.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for_port() { # port, seconds, [open|closed] (default open)
  local deadline=$((SECONDS + $2)) want=${3:-open} state
  while :; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then state=open; else state=closed; fi
    [ "$state" = "$want" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

start_postgres() {
  if as_pg_owner "$PG_BIN/pg_ctl" -D "$WORK/postgres/data" status >/dev/null 2>&1; then return; fi
  as_pg_owner "$PG_BIN/pg_ctl" -D "$WORK/postgres/data" -l "$WORK/postgres/server.log" -w -t 60 start >/dev/null ||
    { tail -n 20 "$WORK/postgres/server.log" >&2; die "PostgreSQL did not start (log above)"; }
}

stop_postgres() {
  # Immediate mode: the server quits at once, as when it crashes or the network drops.
  if [ -f "$WORK/postgres/data/postmaster.pid" ]; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$WORK/postgres/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

start_s3() {
  if [ -f "$WORK/s3.pid" ] && kill -0 "$(cat "$WORK/s3.pid")" 2>/dev/null; then return; fi
  ! wait_for_port "$S3_PORT" 0 || die "port $S3_PORT is taken by a process this session did not start"
  # The root credentials reach the gateway through its environment, never its command line.
  ROOT_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" ROOT_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    "$VERSITYGW" --port "127.0.0.1:$S3_PORT" --region "$AWS_REGION" --quiet posix "$WORK/s3" \
    </dev/null >>"$WORK/s3.log" 2>&1 &
  echo $! >"$WORK/s3.pid"
  # Not a job of this shell: its SIGKILL later is expected, not news to report.
  disown $!
  wait_for_port "$S3_PORT" 30 || { tail -n 20 "$WORK/s3.log" >&2; die "the S3 gateway did not start (log above)"; }
}

stop_s3() {
  # SIGKILL: the gateway disappears mid-request, as a crashed or unreachable store would.
  if [ -f "$WORK/s3.pid" ]; then
    local pid
    pid=$(cat "$WORK/s3.pid")
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; do sleep 0.05; done
    rm -f "$WORK/s3.pid"
    wait_for_port "$S3_PORT" 10 closed || true
  fi
}

if [ "${1:-}" = ctl ]; then
  [ -n "${MEDALLION_TEST_SERVERS_DIR:-}" ] && [ -f "$MEDALLION_TEST_SERVERS_DIR/state.env" ] ||
    die "ctl needs MEDALLION_TEST_SERVERS_DIR from a running scripts/test-servers.sh session"
  WORK=$MEDALLION_TEST_SERVERS_DIR
  # shellcheck source=/dev/null
  . "$WORK/state.env"
  case "${2:-}/${3:-}" in
    start/postgres) start_postgres ;;
    stop/postgres) stop_postgres ;;
    start/s3) start_s3 ;;
    stop/s3) stop_s3 ;;
    *) die "usage: $0 ctl start|stop postgres|s3" ;;
  esac
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
# Install (only what is missing, so a second run skips it).

install_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ]; then return; fi
  say "installing PostgreSQL (Debian package postgresql)"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then command -v sudo >/dev/null || die "PostgreSQL is not installed and installing it needs root"; sudo=(sudo -n); fi
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  # The package may create and start a default cluster; ours is separate, so stop what the install started.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" { print $1, $2 }' |
      while read -r version cluster; do "${sudo[@]}" pg_ctlcluster "$version" "$cluster" stop || true; done
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
}

install_versitygw() {
  VERSITYGW="$CACHE_DIR/versitygw-$VERSITYGW_VERSION/versitygw"
  if [ -x "$VERSITYGW" ]; then return; fi
  command -v go >/dev/null || die "Go is needed once to build the Versity S3 Gateway (go install)"
  say "building the Versity S3 Gateway $VERSITYGW_VERSION (once; cached in $CACHE_DIR)"
  local staging
  staging=$(mktemp -d "$CACHE_DIR/.build.XXXXXX")
  GOBIN="$staging" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2 ||
    { rm -rf "$staging"; die "could not build the Versity S3 Gateway"; }
  mkdir -p "$(dirname "$VERSITYGW")"
  mv "$staging/versitygw" "$VERSITYGW"
  rm -rf "$staging"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

random_secret() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

mkdir -p "$CACHE_DIR"
install_postgres
install_versitygw
[ "${1:-}" != install ] || exit 0

WORK=$(mktemp -d "${TMPDIR:-/tmp}/medallion-servers.XXXXXX")
chmod 755 "$WORK"
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_s3
  stop_postgres
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------
# PostgreSQL: a throwaway cluster on a free loopback port, password authentication (SCRAM) and TLS with a
# CA made for the session, so the tests can exercise sslmode=verify-full as Aurora is used. The server
# certificate names "localhost" only: through 127.0.0.1, host name verification must fail.

PG_PORT=$(free_port)
PG_USER=medallion
PG_PASSWORD=$(random_secret 16)
mkdir -p "$WORK/postgres/data" "$WORK/postgres/socket" "$WORK/tls"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=medallion test CA" \
  -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$WORK/postgres/server.key" -out "$WORK/tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$WORK/tls/san.ext"
openssl x509 -req -in "$WORK/tls/server.csr" -CA "$WORK/tls/ca.crt" -CAkey "$WORK/tls/ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/tls/san.ext" -out "$WORK/postgres/server.crt" 2>/dev/null
rm -f "$WORK/tls/ca.key" "$WORK/tls/server.csr" "$WORK/tls/san.ext"
chmod 644 "$WORK/tls/ca.crt"

printf '%s\n' "$PG_PASSWORD" >"$WORK/postgres/pwfile"
chmod 600 "$WORK/postgres/server.key" "$WORK/postgres/pwfile"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$WORK/postgres"; fi
as_pg_owner "$PG_BIN/initdb" -D "$WORK/postgres/data" -U "$PG_USER" --pwfile="$WORK/postgres/pwfile" \
  --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 ||
  { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
rm -f "$WORK/postgres/pwfile"
cat >>"$WORK/postgres/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/postgres/socket'
ssl = on
ssl_cert_file = '$WORK/postgres/server.crt'
ssl_key_file = '$WORK/postgres/server.key'
# A test cluster: durability is not the point, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

# ---------------------------------------------------------------------------------------------------
# S3: the Versity S3 Gateway over a POSIX directory, single account, random root credentials.

S3_PORT=$(free_port)
mkdir -p "$WORK/s3" "$WORK/aws"
export AWS_ACCESS_KEY_ID="medallion$(random_secret 4)"
export AWS_SECRET_ACCESS_KEY=$(random_secret 20)
export AWS_REGION=us-east-1

cat >"$WORK/state.env" <<EOF
PG_BIN='$PG_BIN'
VERSITYGW='$VERSITYGW'
S3_PORT=$S3_PORT
AWS_REGION=$AWS_REGION
EOF

start_postgres
start_s3

# The environment the tests (and the product) read. Credentials reach the AWS SDK only through its
# default chain (environment variables); the developer's own ~/.aws is kept out of the way.
export MEDALLION_TEST_SERVERS_DIR="$WORK"
export MEDALLION_TEST_SERVERS_CTL="$SELF"
export MEDALLION_TEST_PG_CA_FILE="$WORK/tls/ca.crt"
export MEDALLION_POSTGRES_URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
export MEDALLION_LAKE_URL="s3://$BUCKET/medallion/gold"
export MEDALLION_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export AWS_CONFIG_FILE="$WORK/aws/config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION MEDALLION_CLICKHOUSE_URL MEDALLION_HOME

cd "$ROOT"
node --input-type=module -e "
  import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
  const s3 = new S3Client({ endpoint: process.env.MEDALLION_S3_ENDPOINT, forcePathStyle: true, region: process.env.AWS_REGION });
  await s3.send(new CreateBucketCommand({ Bucket: '$BUCKET' }));
" || die "could not create the bucket $BUCKET"

say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT, Versity S3 Gateway $VERSITYGW_VERSION on 127.0.0.1:$S3_PORT (bucket $BUCKET)"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(test/servers/*.test.ts); fi
status=0
node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}" || status=$?
exit "$status"
