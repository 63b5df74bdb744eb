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
[ -x "$BIN" ] || { echo "devscore: no binary at $BIN; run 'make release' first" >&2; exit 2; }
[ -d "$DEV" ] || { echo "devscore: no development set at $DEV; run 'make devset' first" >&2; exit 2; }
# OUT is replaced on every run: refuse a folder that is not an earlier run's (nothing else is lost).
if [ -e "$OUT" ] && [ ! -f "$OUT/list.tsv" ]; then
  echo "devscore: $OUT exists and is not an earlier devscore run (no list.tsv); give another folder" >&2; exit 2
fi
rm -rf "$OUT"; mkdir -p "$OUT"
python3 - "$DEV" > "$OUT/list.tsv" <<'PY'
import json, os, sys
root = sys.argv[1]
for s in ("semi", "random"):
    d = os.path.join(root, s)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        if not f.endswith(".labels.json"):
            continue
        lab = json.load(open(os.path.join(d, f)))
        clip = os.path.join(d, lab["clip"])
        if os.path.exists(clip):
            mm = ",".join(str(v) for v in lab.get("mmPerPixel") or [])
            print(f"{s}\t{lab['clip']}\t{clip}\t{mm}")
PY
while IFS=$'\t' read -r set name clip mm; do
  opt=""; [ -n "$mm" ] && opt="--mm-per-pixel $mm"
  [ -n "${PARAMETERS:-}" ] && opt="$opt --parameters '$PARAMETERS'"
  mkdir -p "$OUT/$set"
  printf '%s\0' "$BIN analyze '$clip' $opt --json '$OUT/$set/$name.analysis.json' >/dev/null 2>'$OUT/$set/$name.err' || true"
done < "$OUT/list.tsv" | xargs -0 -r -P "$JOBS" -I{} bash -c '{}'
SCORE_SEEDS=development python3 "$HERE/validate_score.py" "$OUT/list.tsv" "$OUT"
