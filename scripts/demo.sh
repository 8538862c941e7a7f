#!/usr/bin/env bash
# The main job on a fresh machine: installs and starts what is missing, migrates, ingests ECG5000
# spread over the last 10 days, starts a worker, trains the candidate models on all days but
# yesterday and keeps the best, promotes it, scores yesterday's beats through Temporal, checks them for drift and
# prints a summary; then leaves the worker and the API running and prints the review and monitoring
# pages' addresses with a reviewer and an auditor key.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="${ECGFLOW_DATA_DIR:-$ROOT/.data}"
TAG="${ECGFLOW_DEMO_TAG:-ecg-v1}"
ecgflow() { node "$ROOT/bin/ecgflow.mjs" "$@"; }

scripts/setup.sh
ecgflow services up
ecgflow migrate

CSV="${ECG5000_CSV:-$ROOT/../shared/data/ecg5000/ecg5000-dev.csv}"
if [ ! -f "$CSV" ]; then
  CSV="$DATA/ecg.csv"
  if [ ! -f "$CSV" ]; then
    echo "ECG5000 is not at ../shared/data/ecg5000; downloading TensorFlow's public copy..." >&2
    mkdir -p "$DATA"
    curl -fsSL --max-time 60 -o "$CSV.part" https://storage.googleapis.com/download.tensorflow.org/data/ecg.csv && mv "$CSV.part" "$CSV" || {
      rm -f "$CSV.part"
      echo "ecgflow demo: cannot download ECG5000; set ECG5000_CSV to a copy of ecg.csv (TensorFlow tutorial layout)" >&2
      exit 1
    }
  fi
fi
export ECG5000_CSV="$CSV"

YESTERDAY=$(date -u -d yesterday +%F)
BEFORE=$(date -u -d '2 days ago' +%F)
echo "== ingest $CSV over the 10 days ending $YESTERDAY"
ecgflow ingest "$CSV" --source ecg5000 --spread-days 10

# The worker and the API keep running after the demo (stop them with `ecgflow services down`), so
# the review and monitoring pages work on the stack the demo built.
start_daemon() { # name, ready pattern, command...
  local name=$1 ready=$2; shift 2
  local pidfile="$DATA/$name.pid" log="$DATA/logs/$name.log"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "== $name already running (pid $(cat "$pidfile"), log $log)"; return; fi
  echo "== $name (log: $log)"
  setsid nohup "$@" >"$log" 2>&1 < /dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do grep -q "$ready" "$log" && return; kill -0 "$(cat "$pidfile")" 2>/dev/null || { cat "$log" >&2; exit 1; }; sleep 0.5; done
  echo "ecgflow demo: $name did not start; see $log" >&2; exit 1
}
mkdir -p "$DATA/logs"
start_daemon worker "worker ready" node "$ROOT/bin/ecgflow.mjs" worker

if ecgflow models --json | grep -q "\"tag\":\"$TAG\""; then
  echo "== model $TAG already trained by an earlier run:"
  ecgflow models
else
  echo "== train $TAG on the labelled beats up to $BEFORE"
  ecgflow train --tag "$TAG" --to "$BEFORE"
fi

if ! ecgflow models --json | grep -q "\"tag\":\"$TAG\",\"kind\":\"[^\"]*\",\"stage\":\"production\""; then
  echo "== promote $TAG to production"
  ecgflow promote --tag "$TAG" --reason "demo: the first model trained on ECG5000"
fi

echo "== score $YESTERDAY with $TAG"
ecgflow infer --date "$YESTERDAY" --model "$TAG"

echo "== drift of $YESTERDAY against $TAG's training baseline"
ecgflow drift --date "$YESTERDAY" --model "$TAG"

echo
echo "== summary"
ecgflow models
echo
ecgflow predictions --date "$YESTERDAY" --model "$TAG" --limit 5
echo "…"
ecgflow services status
echo "Temporal UI: ${TEMPORAL_UI_URL:-http://127.0.0.1:8233} (workflows train-$TAG and score-$YESTERDAY-$TAG)"

start_daemon api "api ready" node "$ROOT/bin/ecgflow.mjs" api
API="http://${API_HOST:-127.0.0.1}:${API_PORT:-8080}"
REVIEWER_KEY=$(ecgflow apikey create --role reviewer --name "demo reviewer" --json | sed -E 's/.*"key":"([^"]+)".*/\1/')
AUDITOR_KEY=$(ecgflow apikey create --role auditor --name "demo auditor" --json | sed -E 's/.*"key":"([^"]+)".*/\1/')
echo
echo "Review page:  $API/app/review.html"
echo "Dashboard:    $API/app/dashboard.html"
echo "API docs:     $API/api/docs"
echo "Log in with the reviewer key $REVIEWER_KEY (reviews) or the auditor key $AUDITOR_KEY (looks only)."
echo "The worker and the API keep running; stop everything with: node bin/ecgflow.mjs services down"
