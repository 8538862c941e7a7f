#!/usr/bin/env bash
# The main job on a fresh machine: installs and starts what is missing, migrates, ingests ECG5000
# spread over the last 10 days, starts a worker, trains the candidate models on all days but
# yesterday and keeps the best, promotes it, scores yesterday's beats through Temporal, checks them for drift and
# prints a summary.
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

echo "== worker (log: $DATA/logs/worker.log)"
mkdir -p "$DATA/logs"
node "$ROOT/bin/ecgflow.mjs" worker >"$DATA/logs/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q "worker ready" "$DATA/logs/worker.log" && break; kill -0 $WORKER || { cat "$DATA/logs/worker.log" >&2; exit 1; }; sleep 0.5; done

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
