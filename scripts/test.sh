#!/usr/bin/env bash
# The whole test suite on the real services: installs what is missing, starts MariaDB and the
# Temporal dev server, type-checks, runs every test (each file gets a fresh database), the core
# workflow tests again under Node 22, then the chaos suite, which kills workers, MariaDB, Temporal
# and the API on purpose. With arguments (vitest's filters) it runs only the main pass.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# What the tracked files hold now (edits in progress included), to check at the end that the run left them alone.
tracked_state() { git status --porcelain --untracked-files=no; git diff --binary HEAD | sha256sum; }
in_git() { git rev-parse --is-inside-work-tree >/dev/null 2>&1; }
if in_git; then before="$(tracked_state)"; fi
scripts/setup.sh
scripts/services.sh up
npm run --silent typecheck
# The layering rules of .dependency-cruiser.cjs (workflows, db/, ml/, api/ and cli/).
npm run --silent check:deps
npx vitest run "$@"

# Node 22 and 24 are the supported LTS lines; the core workflow tests (workflows, replay, the CLI)
# run again under Node 22 from scripts/node22.sh, unless this machine's own Node already is 22.
# Its bin/ leads PATH, so the workers and CLI processes the tests spawn run on it as well.
core_tests_on_node22() {
  local node22 bin version
  node22="$(bash scripts/node22.sh)"
  bin="$(dirname "$node22")"
  version="$(PATH="$bin:$PATH" node --version)"
  case "$version" in
    v22.*) ;;
    *) echo "test.sh: scripts/node22.sh gave Node $version, not 22" >&2; exit 1 ;;
  esac
  echo "core workflow tests on Node $version (this machine's own Node is $(node --version))"
  PATH="$bin:$PATH" TEST_NODE_MAJOR=22 node node_modules/vitest/vitest.mjs run \
    tests/workflows/{candidates,daily,drift,score,train,replay}.test.ts tests/cli/main.test.ts tests/project/node-version.test.ts
}
if [ $# -eq 0 ] && [[ "$(node --version)" != v22.* ]]; then core_tests_on_node22; fi

# The fault-injection suite runs on its own MariaDB and Temporal server (they are killed on purpose).
if [ $# -eq 0 ]; then bash scripts/chaos.sh; fi

# A run must leave the checkout as it found it: set-up, builds and tests write only ignored paths
# (.data/, dist/, test-artifacts/), never a tracked file such as a screenshot in docs/.
if [ $# -eq 0 ] && in_git && [ "$(tracked_state)" != "$before" ]; then
  echo "test.sh: the run changed tracked files (git status and git diff show which)" >&2
  exit 1
fi
