#!/bin/sh
# Installs Debian's docker-compose when missing: tests/project/docker-compose.test.ts validates
# docker-compose.yml with `docker-compose config`, which parses without a Docker engine.
# --no-install-recommends leaves the Docker engine (docker.io) out.
set -eu
command -v docker-compose >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing docker-compose (Debian package) to validate docker-compose.yml..." >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=120 docker-compose >&2
