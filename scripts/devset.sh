#!/usr/bin/env bash
# A small development set for tuning (Docs/validation.md): semi-synthetic clips on real healthy
# backgrounds and randomised simulator clips, all from DEV seeds (1-99999). Never use the
# validation seeds (100000 and up) of scripts/validate.sh for tuning.
# Usage: scripts/devset.sh [BIN] [OUT]   (default .build/release/mskcine, /work/valdata/dev)
set -euo pipefail
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
    mm=0.0881; case "$f" in *real-cine*) mm=0.108 ;; esac
    b=$(basename "${f%.*}" | tr -c 'A-Za-z0-9_\n' '_')
    for c in none "${cases[$((k % 4))]}" "${cases[$(((k + 1) % 4))]}"; do
      name="dev_${b}_${c}_${seed}"
      rows=""; case "$f" in *real-cine*) rows="--muscle-rows 158,256,-0.09" ;; esac
      [ -f "$OUT/semi/$name.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/semi' --background '$f' --mm-per-pixel $mm $rows --case $c --seed $seed --frames 80 --name '$name'"
      seed=$((seed + 1))
    done
    k=$((k + 1))
  done
  for ((i = 0; i < NRANDOM; i++)); do
    s=$((SEED0 + i))
    [ -f "$OUT/random/rand_$s.labels.json" ] || printf '%s\0' "$BIN synth '$OUT/random' --randomised 1 --seed $s"
  done
} | xargs -0 -r -P "$JOBS" -I{} bash -c '{} 2>&1 | tail -1'
echo "devset: $(ls "$OUT"/semi/*.labels.json | wc -l) semi-synthetic and $(ls "$OUT"/random/*.labels.json | wc -l) randomised clips in $OUT"
