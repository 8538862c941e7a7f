#!/bin/sh
# The one-shot temporal-namespace job (docker-compose.yml, image temporalio/admin-tools, whose
# `temporal` CLI reads the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and
# TEMPORAL_TLS_* as ecgflow): waits for the Temporal service, registers ecgflow's namespace unless it
# exists, and succeeds once the namespace answers, which is what the setup job needs. The server
# image has no CLI, so this job, not the server's health check, is the namespace gate.
# tests/project/docker-compose.test.ts runs it against the real Temporal.
set -eu
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-7d}
attempts=${TEMPORAL_WAIT_ATTEMPTS:-60}

# compose passes an unset `${VAR:-}` as an empty string, which the CLI reads as a value
# (TEMPORAL_TLS="" turns TLS on): unset those.
for name in $(env | sed -n 's/^\(TEMPORAL_[A-Z0-9_]*\)=$/\1/p'); do unset "$name"; done

retry() { # <what> <command...>: until it succeeds, at most $attempts times 2 s apart
  what=$1
  shift
  n=1
  until "$@" >/dev/null 2>&1; do
    if [ "$n" -ge "$attempts" ]; then
      echo "temporal-namespace: $what after $attempts attempts; the last one said:" >&2
      "$@" >&2 || true
      exit 1
    fi
    n=$((n + 1))
    sleep 2
  done
}

described() { temporal operator namespace describe --namespace "$namespace"; }

retry "Temporal at ${TEMPORAL_ADDRESS:-127.0.0.1:7233} is not serving" temporal operator cluster health
if described >/dev/null 2>&1; then
  echo "temporal-namespace: namespace $namespace already exists"
else
  # Another run may register it between the two calls ("already exists"): the describe below decides.
  if said=$(temporal operator namespace create --namespace "$namespace" --retention "$retention" \
    --description "ecgflow's workflows" 2>&1); then
    echo "temporal-namespace: registered namespace $namespace (retention $retention)"
  else
    echo "temporal-namespace: registering namespace $namespace: $said" >&2
  fi
fi
# A new namespace reaches every Temporal service's cache within seconds.
retry "namespace $namespace does not answer" described
