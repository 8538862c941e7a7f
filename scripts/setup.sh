#!/usr/bin/env bash
# Installs the Node dependencies when they are missing or older than the lock file. The services
# (MariaDB, Temporal) are installed by scripts/services.sh when first started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing Node dependencies..." >&2
  # npm install, not npm ci: this npm writes lock files without the optional per-platform packages
  # (swc, rollup, esbuild), which npm ci then refuses as out of sync. The lock still pins versions.
  npm install --no-audit --no-fund --loglevel=error >&2
fi
