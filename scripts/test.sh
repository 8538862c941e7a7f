#!/usr/bin/env bash
# The whole test suite on the real services: installs what is missing, starts MariaDB and the
# Temporal dev server, type-checks, runs every test (each file gets a fresh database), then the
# chaos suite, which kills workers, MariaDB, Temporal and the API on purpose.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
scripts/services.sh up
npm run --silent typecheck
npx vitest run "$@"
# The fault-injection suite runs on its own MariaDB and Temporal server (they are killed on purpose).
if [ $# -eq 0 ]; then bash scripts/chaos.sh; fi
