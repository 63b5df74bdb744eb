#!/usr/bin/env bash
# Geometry against human observers (issue 12): runs `mskcine regress` on the real labelled
# sequences (per source dataset tt1/tt3/tt4), the real stills and the real calf cine clips with a
# fascicle tracker's labels (UltraTrack: unsigned fascicle angle, fascicle length in pixels; split
# added in session 19, before anything was tuned on them), each split into a development half and
# a held-out half, and prints the geometry tables.
#
# The split (fixed, decided before any tuning): within each set, the labels files sorted by name
# (C locale) alternate, the 1st, 3rd, 5th, ... going to the development half and the 2nd, 4th, ...
# to the held-out half. The detector was tuned on the development halves only.
#
# Usage: scripts/validate-geometry.sh [MSKCINE] [DATA]   (defaults: .build/release/mskcine, ../shared/data)
#        HALF=dev|held|all to run one half only (default: both, then all).
#        PARAMETERS=FILE.json to run with analysis parameters overridden (`regress --parameters`).
# Needs ../shared/data (not in this repository); says so and exits 0 when it is absent.
set -u
BIN=${1:-.build/release/mskcine}
DATA=${2:-../shared/data}
HALVES=${HALF:-dev held}
export LC_ALL=C
if [ ! -d "$DATA/real-labelled" ] || [ ! -d "$DATA/real-stills" ]; then
  echo "validate-geometry: $DATA/real-labelled or real-stills not found; skipped"; exit 0
fi
[ -x "$BIN" ] || { echo "validate-geometry: $BIN not built (make release)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# link SRC_DIR SET_PREFIX OUT_NAME: symlinks the chosen half's labels, clips and masks into $tmp/OUT_NAME-{dev,held,all}.
link() {
  local dir=$1 prefix=$2 name=$3 i=0
  mkdir -p "$tmp/$name-dev" "$tmp/$name-held" "$tmp/$name-all"
  for f in $(cd "$dir" && ls ${prefix}*.labels.json | sort); do
    local half=dev; [ $((i % 2)) = 1 ] && half=held
    i=$((i + 1))
    local stem=${f%.labels.json}
    for g in "$dir/$stem".*; do
      ln -s "$(cd "$(dirname "$g")" && pwd)/$(basename "$g")" "$tmp/$name-$half/"
      ln -s "$(cd "$(dirname "$g")" && pwd)/$(basename "$g")" "$tmp/$name-all/"
    done
  done
}
link "$DATA/real-labelled" tt1_ tt1
link "$DATA/real-labelled" tt3_ tt3
link "$DATA/real-labelled" tt4_ tt4
link "$DATA/real-stills" img_ stills
[ -d "$DATA/real-cine" ] && link "$DATA/real-cine" "" cine
echo "{}" > "$tmp/none.json"
start=$(date +%s)
for half in $HALVES; do
  for set in tt1 tt3 tt4 stills cine; do
    [ -d "$tmp/$set-$half" ] || continue
    echo "=== $set, $half half ($(ls "$tmp/$set-$half"/*.labels.json | wc -l) files: $(cd "$tmp/$set-$half" && ls *.labels.json | sed 's/.labels.json//' | tr '\n' ' '))"
    "$BIN" regress "$tmp/$set-$half" --thresholds "$tmp/none.json" ${PARAMETERS:+--parameters "$PARAMETERS"} 2>/dev/null | sed -n '/^geometry against/,$p' | grep -v '^thresholds\|^regress:'
  done
done
echo "validate-geometry: $(( $(date +%s) - start )) s"
