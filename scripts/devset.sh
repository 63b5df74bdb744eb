#!/usr/bin/env bash
# A small development set for tuning (Docs/validation.md): semi-synthetic clips on real healthy
# backgrounds and randomised simulator clips, all from DEV seeds (1-99999). Never use the
# validation seeds (100000 and up) of scripts/validate.sh for tuning.
# Environment: DEV_RANDOM (randomised clips, default 16), DEV_SEED0 (their first seed, default 500),
#   DEV_SEMI_WIDE=1 (120 more semi-synthetic clips on all twelve backgrounds, below).
# Usage: scripts/devset.sh [BIN] [OUT]   (default .build/release/mskcine, /work/valdata/dev)
set -euo pipefail
# shellcheck source=scripts/sets-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/sets-lib.sh"
BIN=${1:-.build/release/mskcine}
OUT=${2:-/work/valdata/dev}
DATA=${VALIDATE_DATA:-../shared/data}
JOBS=${VALIDATE_JOBS:-2}
NRANDOM=${DEV_RANDOM:-16}
SEED0=${DEV_SEED0:-500}   # first randomised dev seed (dev seeds: 1-99999)
mkdir -p "$OUT/semi" "$OUT/random"
{
  seed=1
  cases=(full partial full-subtle full)
  k=0
  for f in "$DATA"/real-video/p6_isometric_max_01_push_01.mp4 "$DATA"/real-video/p6_isokinetic120_01_push_01.mp4 \
           "$DATA"/real-video/p6_passive_ROM_01_push_01.mp4 "$DATA"/real-cine/bw1_m3.wmv "$DATA"/real-cine/bag2_m1.wmv; do
    [ -f "$f" ] || continue
    IFS=$'\t' read -r _ mm rows < <(backgroundLine "$f")
    b=$(backgroundStem "$f")
    for c in none "${cases[$((k % 4))]}" "${cases[$(((k + 1) % 4))]}"; do
      name="dev_${b}_${c}_${seed}"
      [ -f "$OUT/semi/$name.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/semi' --background '$f' --mm-per-pixel $mm $rows --case $c --seed $seed --frames 80 --name '$name'"
      seed=$((seed + 1))
    done
    k=$((k + 1))
  done
  # DEV_SEMI_WIDE=1: every labelled background (the six p6 and six real-cine clips) with four
  # tears each in one rotation (seeds 3000 + 10 b + j, names d4_*) and six more, mostly partial
  # (seeds 4000 + 10 b + j, names d5_*): 120 more semi-synthetic development clips (session 18).
  if [ "${DEV_SEMI_WIDE:-0}" = 1 ]; then
    b=0; rot=(partial full partial full-subtle full partial full); mostly=(partial partial full partial full-subtle partial)
    while IFS=$'\t' read -r f mm rows; do
      stem=$(backgroundStem "$f")
      for j in 0 1 2 3; do
        c=${rot[$(((4 * b + j) % 7))]}; s=$((3000 + 10 * b + j)); name="d4_${stem}_${c}_${s}"
        [ -f "$OUT/semi/$name.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/semi' --background '$f' --mm-per-pixel $mm $rows --case $c --seed $s --frames 80 --name '$name'"
      done
      for j in 0 1 2 3 4 5; do
        c=${mostly[$j]}; s=$((4000 + 10 * b + j)); name="d5_${stem}_${c}_${s}"
        [ -f "$OUT/semi/$name.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/semi' --background '$f' --mm-per-pixel $mm $rows --case $c --seed $s --frames 80 --name '$name'"
      done
      b=$((b + 1))
    done < <(semiBackgrounds "$DATA")
  fi
  for ((i = 0; i < NRANDOM; i++)); do
    s=$((SEED0 + i))
    [ -f "$OUT/random/rand_$s.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/random' --randomised 1 --seed $s"
  done
} | xargs -0 -r -P "$JOBS" -I{} bash -c '{} 2>&1 | tail -1'
echo "devset: $(ls "$OUT"/semi/*.labels.json 2>/dev/null | wc -l) semi-synthetic and $(ls "$OUT"/random/*.labels.json 2>/dev/null | wc -l) randomised clips in $OUT"
