#!/usr/bin/env bash
# Installs the Node dependencies when they are missing or older than the lock file. The services
# (MariaDB, Temporal) are installed by scripts/services.sh when first started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing Node dependencies..." >&2
  # npm ci: exactly the committed lock (it holds every platform's optional swc, rollup and esbuild
  # packages), never rewritten, so a fresh set-up leaves `git status` clean; a package.json the lock
  # does not match stops here. It starts from an empty node_modules: the native TensorFlow backend is
  # built again below.
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# The review and monitoring pages: built on every setup (a few seconds) so they never lag the source.
npm run --silent build:web -- --logLevel warn >&2

# The browser tests drive Debian's Chromium; a browser is never downloaded.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (Debian package) for the browser tests..." >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi

# tests/client/temporal-tls.test.ts puts Debian's nginx in front of the Temporal dev server to terminate
# TLS and mTLS. The tests start nginx themselves on ports of their own: the system service the
# package starts (on port 80) is stopped and kept from starting at boot.
if [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx (Debian package) for the Temporal TLS tests..." >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >&2
  $SUDO service nginx stop >/dev/null 2>&1 || true
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then $SUDO systemctl disable --quiet nginx || true; fi
fi

# docker-compose.yml is validated by Debian's docker-compose (it parses without a Docker engine).
bash docker/install-compose.sh || echo "docker-compose could not be installed; tests/project/docker-compose.test.ts will try again, then skip" >&2

# The native TensorFlow.js backend, built from registry packages only (the tensorflow-cpu wheel's
# libtensorflow from PyPI and this Node's headers). Optional: without it TensorFlow.js runs on wasm.
bash scripts/setup-tfjs-node.sh || echo "the native TensorFlow backend was not built (see above); TensorFlow.js runs on wasm" >&2
