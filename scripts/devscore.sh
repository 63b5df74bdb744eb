#!/usr/bin/env bash
# Scores the engine on a DEVELOPMENT set (Docs/validation.md: tune on these only): analyses every
# labelled clip under DEV/semi and DEV/random (made by `make devset`) and prints validate's tables.
# Usage: scripts/devscore.sh [BIN] [DEV] [OUT]
#   defaults: .build/release/mskcine, /work/valdata/dev, /tmp/devscore; VALIDATE_JOBS (default 2);
#   PARAMETERS=FILE.json analyses with parameters overridden (`analyze --parameters`).
set -euo pipefail
BIN=${1:-.build/release/mskcine}
DEV=${2:-/work/valdata/dev}
OUT=${3:-/tmp/devscore}
JOBS=${VALIDATE_JOBS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/sets-lib.sh
. "$HERE/sets-lib.sh"
[ -x "$BIN" ] || { echo "devscore: no binary at $BIN; run 'make release' first" >&2; exit 2; }
[ -d "$DEV" ] || { echo "devscore: no development set at $DEV; run 'make devset' first" >&2; exit 2; }
# OUT is replaced on every run: refuse a folder that is not an earlier run's (nothing else is lost).
if [ -e "$OUT" ] && [ ! -f "$OUT/list.tsv" ]; then
  echo "devscore: $OUT exists and is not an earlier devscore run (no list.tsv); give another folder" >&2; exit 2
fi
rm -rf "$OUT"; mkdir -p "$OUT"
{ labelledList "$DEV/semi" semi; labelledList "$DEV/random" random; } > "$OUT/list.tsv"
analyseListed "$OUT/list.tsv" "$BIN" "$OUT" "$JOBS"
SCORE_SEEDS=development python3 "$HERE/validate_score.py" "$OUT/list.tsv" "$OUT"
