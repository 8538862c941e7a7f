#!/usr/bin/env bash
# The fault-injection suite (npm run chaos): kills workers, stops MariaDB, crashes the Temporal dev
# server and restarts the API mid-work, and checks that nothing is lost or doubled. It runs against
# its own MariaDB (3307) and Temporal dev server (7234, UI 8234) with their data in .data/chaos, and
# stops them afterwards (CHAOS_KEEP_SERVICES=1 leaves them up to look around); the shared servers on
# 3306/7233 are never touched. Worker and API logs of the run: .data/chaos/logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
unset DATABASE_URL MYSQL_DATABASE
export ECGFLOW_DATA_DIR="$ROOT/.data/chaos" MYSQL_HOST=127.0.0.1
export MYSQL_PORT="${CHAOS_MYSQL_PORT:-3307}"
export TEMPORAL_ADDRESS="${CHAOS_TEMPORAL_ADDRESS:-127.0.0.1:7234}"
export TEMPORAL_UI_PORT="${CHAOS_TEMPORAL_UI_PORT:-8234}"
[ "$MYSQL_PORT" != 3306 ] && [ "${TEMPORAL_ADDRESS##*:}" != 7233 ] || { echo "chaos: refusing to run against the shared servers" >&2; exit 1; }

scripts/services.sh up
[ "${CHAOS_KEEP_SERVICES:-0}" = 1 ] || trap 'scripts/services.sh down >/dev/null 2>&1 || true' EXIT
npx vitest run --config vitest.chaos.config.ts "$@"
