#!/usr/bin/env bash
# The whole test suite on the real services: installs what is missing, starts MariaDB and the
# Temporal dev server, type-checks, then runs every test (each file gets a fresh database).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
scripts/services.sh up
npm run --silent typecheck
npx vitest run "$@"
