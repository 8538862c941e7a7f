#!/bin/sh
# The deployment's one-shot setup job (service `setup` in docker-compose.yml): the worker and the API
# start only after it succeeds. Every step is idempotent, so running it again changes nothing.
# tests/project/docker-compose.test.ts runs this same script against the real MariaDB and Temporal.
set -eu
cd "$(dirname "$0")/.."
node bin/ecgflow.mjs migrate
node bin/ecgflow.mjs temporal setup
node bin/ecgflow.mjs schedule apply
