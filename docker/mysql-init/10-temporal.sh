#!/bin/sh
# Temporal's account and its two empty databases, made on the mysql service's first start
# (docker-compose.yml mounts this directory at /docker-entrypoint-initdb.d). The account may use
# those two databases only, as ecgflow's account (MYSQL_USER, made by the image) may use ecgflow's
# only, so neither service holds root's password. temporal-schema then creates the tables as this
# account.
#
# Safe to run again on a live server, e.g. for a data volume made before this file existed, or
# after changing TEMPORAL_DB_PASSWORD (the password is set again):
#   docker compose exec mysql sh /docker-entrypoint-initdb.d/10-temporal.sh
# tests/project/docker-compose.test.ts runs it against the real MariaDB.
#
# The image sources a script that is not executable into its own shell: everything runs in a
# subshell, so this one's `set -u` and variables stay out of the entrypoint.
(
  set -eu
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is not set}"
  : "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in .env: the password of Temporal's MySQL account}"
  user=${TEMPORAL_DB_USER:-temporal}
  database=${TEMPORAL_DB_NAME:-temporal}
  visibility=${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}

  # Names go into the SQL unquoted by any driver: letters, digits and underscores only.
  for name in "$user" "$database" "$visibility"; do
    case $name in
      '' | *[!A-Za-z0-9_]*) echo "10-temporal.sh: '$name' is not a plain MySQL name (letters, digits, _)" >&2; exit 1 ;;
    esac
  done

  # A string literal: backslashes and quotes escaped, whatever the password holds.
  literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
  # In a GRANT, `_` in a database name is a wildcard: escaped, the grant covers that database alone.
  grant_pattern() { printf '%s' "$1" | sed -e 's/_/\\_/g'; }

  account="$(literal "$user")@'%'"
  password=$(literal "$TEMPORAL_DB_PASSWORD")
  mysql --protocol=socket --user=root --password="$MYSQL_ROOT_PASSWORD" <<SQL
CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS \`$visibility\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS $account IDENTIFIED BY $password;
ALTER USER $account IDENTIFIED BY $password;
GRANT ALL PRIVILEGES ON \`$(grant_pattern "$database")\`.* TO $account;
GRANT ALL PRIVILEGES ON \`$(grant_pattern "$visibility")\`.* TO $account;
SQL
  echo "10-temporal.sh: account $user may use the databases $database and $visibility"
)
