#!/usr/bin/env bash
# Every output on every clip: runs `mskcine analyze CLIP --out DIR` (result document, per-frame
# CSV, HTML report and overlay clip) on each video, DICOM and PNG file under the given folders,
# JOBS at a time, and sorts each run into
#   ok       exit 0, the four outputs written, nothing else left in the output folder;
#   refused  exit 2 or 3 with one or two lines on standard error and no output left behind
#            (the spec's answer to an input it cannot use);
#   FAILED   anything else: a runtime failure or signal, another exit status, a stack trace, an
#            output missing, a temporary file left behind.
# `make validate` writes only result documents, so a failure in the report or overlay pass
# (session 27: a ruler figure drawn past its crop stopped the overlay pass) is not seen there.
#
# Usage: scripts/sweep.sh [MSKCINE] [DIR ...]   (defaults: .build/release/mskcine, Samples and
#        ../shared/data); JOBS=N (default 2). Prints one line per refused or failed file, then
#        the counts; exits 1 when any run FAILED.
set -u
BIN=${1:-.build/release/mskcine}
shift || true
DIRS=("$@")
[ ${#DIRS[@]} -eq 0 ] && DIRS=(Samples ../shared/data)
JOBS=${JOBS:-2}
[ -x "$BIN" ] || { echo "sweep: $BIN not built (make release)"; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
list=$tmp/clips.txt
for d in "${DIRS[@]}"; do
  [ -d "$d" ] || { echo "sweep: $d is not a folder; skipped"; continue; }
  find "$d" -type f \( -iname '*.mp4' -o -iname '*.mov' -o -iname '*.avi' -o -iname '*.mkv' -o -iname '*.wmv' \
       -o -iname '*.dcm' -o -iname '*.png' \) ! -iname '*.mask.png' ! -path '*/images/*'
done | LC_ALL=C sort > "$list"
n=$(wc -l < "$list")
[ "$n" -gt 0 ] || { echo "sweep: no clips under ${DIRS[*]}"; exit 1; }
echo "sweep: $n file(s), every output, $JOBS at a time"
start=$(date +%s)

# One run: prints "ok|refused|FAILED<TAB>file<TAB>why".
one() {
  local clip=$1 bin=$2 root=$3
  local out; out=$(mktemp -d "$root/run.XXXXXX")
  "$bin" analyze "$clip" --out "$out/o" > /dev/null 2> "$out/err"
  local rc=$? stem; stem=$(basename "$clip"); stem=${stem%.*}
  local lines; lines=$(grep -c . "$out/err")
  local why=""
  if grep -q -E 'runtime failure|Fatal error|Signal [0-9]|Backtrac|Thread [0-9]+ crashed' "$out/err"; then
    why="crash: $(grep -m1 -E 'runtime failure|Fatal error|Signal' "$out/err")"
  elif [ $rc -eq 0 ]; then
    for ext in analysis.json frames.csv report.html overlay.mp4; do
      [ -s "$out/o/$stem.$ext" ] || why="$why $stem.$ext missing;"
    done
    local extra; extra=$(ls -A "$out/o" 2>/dev/null | grep -v -E "^$stem\.(analysis\.json|frames\.csv|report\.html|overlay\.mp4)$" | head -3 | tr '\n' ' ')
    [ -n "$extra" ] && why="$why left behind: $extra"
  elif [ $rc -eq 2 ] || [ $rc -eq 3 ]; then
    local left; left=$(ls -A "$out/o" 2>/dev/null | head -3 | tr '\n' ' ')
    if [ -n "$left" ]; then why="exit $rc but left behind: $left"
    elif [ "$lines" -gt 2 ]; then why="exit $rc with $lines lines on standard error"
    else printf 'refused\t%s\t%s\n' "$clip" "$(grep -m1 . "$out/err")"; rm -rf "$out"; return; fi
  else
    why="exit $rc: $(grep -m1 . "$out/err")"
  fi
  if [ -z "$why" ]; then printf 'ok\t%s\t\n' "$clip"; else printf 'FAILED\t%s\t%s\n' "$clip" "$why"; fi
  rm -rf "$out"
}
export -f one
tr '\n' '\0' < "$list" | xargs -0 -r -P "$JOBS" -I{} bash -c 'one "$1" "$2" "$3"' _ {} "$BIN" "$tmp" > "$tmp/results.tsv"

awk -F'\t' '$1 != "ok" { printf "%-8s %s: %s\n", $1, $2, $3 }' "$tmp/results.tsv"
ok=$(grep -c '^ok' "$tmp/results.tsv"); refused=$(grep -c '^refused' "$tmp/results.tsv"); failed=$(grep -c '^FAILED' "$tmp/results.tsv")
echo "sweep: $n file(s): $ok ok, $refused refused with a clear error, $failed FAILED ($(( $(date +%s) - start )) s)"
[ "$failed" -eq 0 ]
