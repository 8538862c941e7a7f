#!/usr/bin/env bash
# promtool, to check and unit-test the alerting rules (docker/prometheus/): taken out of Debian's
# prometheus package into .data/promtool, without installing the package (and its server and
# service). Prints the binary's path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.data/promtool"
BIN="$DEST/usr/bin/promtool"
if [ ! -x "$BIN" ]; then
  mkdir -p "$DEST/download"
  (cd "$DEST/download" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >&2 && apt-get download prometheus >&2; }; })
  dpkg-deb -x "$DEST"/download/prometheus_*.deb "$DEST"
  rm -rf "$DEST/download"
fi
"$BIN" --version >/dev/null
echo "$BIN"
