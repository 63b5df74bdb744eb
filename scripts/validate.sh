#!/usr/bin/env bash
# `make validate`: scores the engine on data it was not tuned on (Docs/validation.md).
#   (a) real healthy clips (../shared/data): every clip's call; target: 0 tear calls;
#   (b) semi-synthetic: tears drawn into real healthy clips, plus the untouched controls;
#   (c) a fresh randomised simulator set;
#   (d) the real healthy clips of (a) exported again (10-bit H.264, H.264 at CRF 30, with a
#       strip of grey canvas either side, mirrored left to right, at 15 frames a second), as
#       another scanner or export tool would give them:
#       target, as (a): 0 tear calls;
#   (e) the same real clips reframed (played backwards, from 40 % of the way in, the left or right
#       80 % of the image alone, the top 91 % of the depth enlarged 1.1 times), as another trial,
#       probe position or depth setting would give them: target, as (a): 0 tear calls, and the
#       thickness of a copy that shows the same muscle beside its source's;
#   (f) curved (convex) array sectors (since session 35): the real clips of (a), the first 40
#       clips of (b) and of (c) with square pixels, drawn into sectors (scripts/curved-sector.py):
#       target 0 tear calls on the real ones; the muscle found, its thickness, and the calls.
# Sets (b) and (c) are generated from VALIDATION seeds (never to be used for tuning) into
# $OUT (git-ignored), cached: a clip whose labels exist is not generated again.
# Usage: scripts/validate.sh [BIN]   (BIN: the mskcine binary, default .build/release/mskcine)
# Environment: VALIDATE_OUT (default .build-validate), VALIDATE_JOBS (default 2),
#   VALIDATE_DATA (default ../shared/data), VALIDATE_RANDOM (clips in (c), default 100; 40 until
#   session 17), VALIDATE_SEMI_TEARS (tears per background in (b): 4, or 2 as until session 17),
#   VALIDATE_SETS (default "real semi random reexport reframed curved"), PARAMETERS (a JSON file of analysis parameters to
#   lay over the defaults, as `analyze --parameters`; also read by validate-geometry.sh).
set -euo pipefail
BIN=${1:-.build/release/mskcine}
OUT=${VALIDATE_OUT:-.build-validate}
JOBS=${VALIDATE_JOBS:-2}
DATA=${VALIDATE_DATA:-../shared/data}
NRANDOM=${VALIDATE_RANDOM:-100}
# Tears per semi-synthetic background: 2 (the first sets, sessions 1-17) or 4 (two more, with more
# partial tears, since session 18).
SEMI_TEARS=${VALIDATE_SEMI_TEARS:-4}
SETS=${VALIDATE_SETS:-real semi random reexport reframed curved}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/sets-lib.sh
. "$HERE/sets-lib.sh"
# Version of the generators' output: bump when synth --background changes (GEN) or synth --randomised
# changes (RANDOM_GEN, with SimulationParameters.randomisedVersion), so the cache is redone.
GEN=v3
RANDOM_GEN=v5
# Seed ranges (Docs/validation.md): dev 1-99999 (tune on these); validation 100000-199999 (semi-synthetic)
# and 200000-299999 (randomised): never tune on them.
SEMI_SEED0=100000
RANDOM_SEED0=200000

[ -x "$BIN" ] || { echo "validate: no binary at $BIN; run 'make release' first" >&2; exit 2; }
[ -d "$DATA" ] || { echo "validate: no real data at $DATA (set VALIDATE_DATA)" >&2; exit 2; }
mkdir -p "$OUT"
SEMI="$OUT/$GEN/semi"
RAND="$OUT/$RANDOM_GEN/random"
# The re-exported real clips (d): bump when their ffmpeg commands change.
REEXPORT="$OUT/reexport-v1"
# The reframed real clips (e): bump when their ffmpeg commands change.
REFRAMED="$OUT/reframed-v1"
# The curved-array sectors (f): bump when scripts/curved-sector.py's drawing changes.
CURVED="$OUT/curved-v1"
RESULTS="$OUT/results"
rm -rf "$RESULTS"
mkdir -p "$SEMI" "$RAND" "$REEXPORT" "$REFRAMED" "$RESULTS"

# One line per clip to analyse: name<TAB>clip path<TAB>mm per pixel (empty: none).
realList() {
  for f in "$DATA"/real-video/p6_*.mp4; do
    printf '%s\t%s\t%s\n' "$(basename "$f")@0.0881" "$f" 0.0881
    printf '%s\t%s\t%s\n' "$(basename "$f")@0.0921" "$f" 0.0921
  done
  for f in "$DATA"/real-cine/*.wmv; do printf '%s\t%s\t%s\n' "$(basename "$f")@0.108" "$f" 0.108; done
  for f in "$DATA"/real-labelled/*.mkv; do
    b=$(basename "$f")
    case "$b" in
      tt3_*) mm=0.0705 ;;
      tt4_SampleA*) mm=0.0793 ;;
      tt4_SampleB*) mm=0.0885 ;;
      *) mm=0.1 ;;   # dataset 1 shows no ruler: an assumed 0.1 mm/px (Docs/validation.md)
    esac
    printf '%s\t%s\t%s\n' "$b@$mm" "$f" "$mm"
  done
}

# The semi-synthetic set: every background (`semiBackgrounds`) gets its control and two tears, cases
# in turn, and (SEMI_TEARS 4) two more in a second rotation. Lines: clip, mm, case, seed, synth options
# (last: it may be empty, and read splits on runs of tabs).
semiJobs() {
  local i=0 cases=(full partial full-subtle full full partial) k=0 more=(partial full partial full-subtle full partial full) k2=0
  local f mm rows j
  while IFS=$'\t' read -r f mm rows; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$mm" none "$((SEMI_SEED0 + i))" "$rows"
    for j in 0 1; do
      printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$mm" "${cases[$((k % ${#cases[@]}))]}" "$((SEMI_SEED0 + i + 1 + k % 2))" "$rows"
      k=$((k + 1))
    done
    if [ "$SEMI_TEARS" -ge 4 ]; then
      for j in 0 1; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$mm" "${more[$(((k2 + j) % ${#more[@]}))]}" "$((SEMI_SEED0 + i + 3 + j))" "$rows"
      done
      k2=$((k2 + 2))
    fi
    i=$((i + 10))
  done < <(semiBackgrounds "$DATA")
}

if [[ " $SETS " == *" semi "* ]]; then
  echo "validate: semi-synthetic set in $SEMI (cached)" >&2
  semiJobs | while IFS=$'\t' read -r f mm c s rows; do
    name="semi_$(backgroundStem "$f")_${c}_${s}"
    [ -f "$SEMI/$name.labels.json" ] && continue
    printf '%s\0' "$BIN synth '$SEMI' --background '$f' --mm-per-pixel $mm $rows --case $c --seed $s --frames 80 --name '$name'"
  done | xargs -0 -r -P "$JOBS" -I{} bash -c '{} 2>&1 | tail -1 >&2'
fi
if [[ " $SETS " == *" random "* ]]; then
  echo "validate: randomised set in $RAND (cached)" >&2
  for ((k = 0; k < NRANDOM; k++)); do
    s=$((RANDOM_SEED0 + k))
    ls "$RAND"/rand_$s.labels.json >/dev/null 2>&1 && continue
    printf '%s\0' "$BIN synth '$RAND' --randomised 1 --seed $s"
  done | xargs -0 -r -P "$JOBS" -I{} bash -c '{} 2>&1 | tail -1 >&2'
fi

# One ffmpeg copy of a real clip for sets (d) and (e), as a NUL-terminated command for xargs: one
# encoder thread (the same file every time), no audio, written under a temporary name and renamed
# when whole, so a cut-short file is never cached.
copyJob() {   # SOURCE FFMPEG-OPTIONS COPY
  printf '%s\0' "ffmpeg -v error -y -threads 1 -i '$1' $2 -threads 1 -an '$3.part.mp4' && mv '$3.part.mp4' '$3'"
}

# (d): each real-video and real-cine clip, five ways (one encoder thread: the same file every time).
# One line per copy: source clip<TAB>way<TAB>mm per pixel<TAB>copy; made and listed from it.
reexportJobs() {
  local f b v mm
  for f in "$DATA"/real-video/p6_*.mp4 "$DATA"/real-cine/*.wmv; do
    b=$(basename "${f%.*}")
    case "$f" in *.wmv) mm=0.108 ;; *) mm=0.0881 ;; esac
    for v in 10bit crf30 canvas mirrored fps15; do printf '%s\t%s\t%s\t%s\n' "$f" "$v" "$mm" "$REEXPORT/${b}_$v.mp4"; done
  done
}
if [[ " $SETS " == *" reexport "* ]]; then
  command -v ffmpeg >/dev/null || { echo "validate: the re-exported set needs the ffmpeg command (make deps)" >&2; exit 2; }
  echo "validate: re-exported real clips in $REEXPORT (cached)" >&2
  reexportJobs | while IFS=$'\t' read -r f v mm out; do
    [ -f "$out" ] && continue
    case $v in
      10bit) opts="-c:v libx264 -pix_fmt yuv420p10le" ;;
      crf30) opts="-c:v libx264 -crf 30" ;;
      canvas) opts="-vf pad=iw+16:ih:8:0:color=0x505050 -c:v libx264 -crf 18" ;;
      mirrored) opts="-vf hflip -c:v libx264 -crf 18" ;;
      fps15) opts="-r 15 -c:v libx264 -crf 18" ;;
    esac
    copyJob "$f" "$opts" "$out"
  done | xargs -0 -r -P "$JOBS" -I{} bash -c '{}'
fi

# (e): each real-video and real-cine clip reframed five ways. One line per copy: source clip<TAB>way
# <TAB>mm per pixel<TAB>copy<TAB>region W:H:X:Y and the zoomed crop's ZW:ZH. The imaging region (even sizes for the encoder) is the one the engine
# finds on every clip of the source folder in (a): p6 724x576 at (212, 44), real-cine 466x460 at
# (167, 61); the zoomed copy keeps the region's top (the skin line under the probe) and the centre
# columns, 10/11 of each side (even), so its scale is the source's times kept / region, per axis.
reframedJobs() {
  local f b v mm m w h x y zw zh
  for f in "$DATA"/real-video/p6_*.mp4 "$DATA"/real-cine/*.wmv; do
    b=$(basename "${f%.*}")
    case "$f" in *.wmv) mm=0.108; w=466; h=460; x=167; y=61 ;; *) mm=0.0881; w=724; h=576; x=212; y=44 ;; esac
    zw=$((w * 10 / 11 / 2 * 2)); zh=$((h * 10 / 11 / 2 * 2))
    for v in reversed late left80 right80 zoom110; do
      case $v in zoom110) m=$(awk -v a="$mm" -v zw="$zw" -v w="$w" -v zh="$zh" -v h="$h" 'BEGIN { printf "%.6f,%.6f", a * zw / w, a * zh / h }') ;; *) m=$mm ;; esac
      printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$v" "$m" "$REFRAMED/${b}_$v.mp4" "$w:$h:$x:$y:$zw:$zh"
    done
  done
}
if [[ " $SETS " == *" reframed "* ]]; then
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { echo "validate: the reframed set needs the ffmpeg and ffprobe commands (make deps)" >&2; exit 2; }
  echo "validate: reframed real clips in $REFRAMED (cached)" >&2
  reframedJobs | while IFS=$'\t' read -r f v mm out region; do
    [ -f "$out" ] && continue
    IFS=: read -r w h x y zw zh <<< "$region"
    case $v in
      reversed) vf="reverse" ;;
      late) n=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f")
            vf="select=gte(n\\,$((n * 2 / 5))),setpts=N/FRAME_RATE/TB" ;;
      left80) vf="crop=$((w * 4 / 5)):$h:$x:$y" ;;
      right80) vf="crop=$((w * 4 / 5)):$h:$((x + w - w * 4 / 5)):$y" ;;
      zoom110) vf="crop=$zw:$zh:$((x + (w - zw) / 2)):$y,scale=$w:$h:flags=bicubic" ;;
    esac
    copyJob "$f" "-vf '$vf' -c:v libx264 -crf 18 -pix_fmt yuv420p" "$out"
  done | xargs -0 -r -P "$JOBS" -I{} bash -c '{}'
fi

# (f): the real clips of (a) (region as in (e)) and the first 40 labelled clips of (b) and (c)
# with square pixels, drawn into curved arrays' sectors (cached).
curvedRealJobs() {
  local f b mm region
  for f in "$DATA"/real-video/p6_*.mp4 "$DATA"/real-cine/*.wmv; do
    b=$(basename "${f%.*}")
    case "$f" in *.wmv) mm=0.108; region=167,61,466,460 ;; *) mm=0.0881; region=212,44,724,576 ;; esac
    printf '%s\t%s\t%s\t%s\n' "$f" "$mm" "$CURVED/real/cvx_$b.mp4" "$region"
  done
}
if [[ " $SETS " == *" curved "* ]]; then
  python3 -c "import numpy" 2>/dev/null || { echo "validate: the curved set needs python3-numpy (make deps)" >&2; exit 2; }
  echo "validate: curved-array sectors in $CURVED (cached)" >&2
  mkdir -p "$CURVED/real"
  curvedRealJobs | while IFS=$'\t' read -r f mm out region; do
    [ -f "$out" ] || printf '%s\0' "python3 '$HERE/curved-sector.py' clip '$f' '$out' $mm $region"
  done | xargs -0 -r -P "$JOBS" -I{} bash -c '{}'
  # From the clips of (b) and (c) cached so far (generated above when those sets are run).
  python3 "$HERE/curved-sector.py" labelled "$SEMI" "$CURVED/semi" 40
  python3 "$HERE/curved-sector.py" labelled "$RAND" "$CURVED/random" 40
fi

# Analyse: one result document per clip (never cached: the engine is what is scored).
echo "validate: analysing (results in $RESULTS)" >&2
{
  if [[ " $SETS " == *" real "* ]]; then realList | sed 's/^/real\t/'; fi
  if [[ " $SETS " == *" semi "* ]]; then labelledList "$SEMI" semi; fi
  if [[ " $SETS " == *" random "* ]]; then labelledList "$RAND" random; fi
  if [[ " $SETS " == *" reexport "* ]]; then
    reexportJobs | while IFS=$'\t' read -r _ _ mm out; do printf 'reexport\t%s\t%s\t%s\n' "$(basename "$out")@$mm" "$out" "$mm"; done
  fi
  if [[ " $SETS " == *" reframed "* ]]; then
    reframedJobs | while IFS=$'\t' read -r _ _ mm out _; do printf 'reframed\t%s\t%s\t%s\n' "$(basename "$out")@$mm" "$out" "$mm"; done
  fi
  if [[ " $SETS " == *" curved "* ]]; then
    curvedRealJobs | while IFS=$'\t' read -r _ mm out _; do
      if [ -f "$out" ]; then printf 'curvedreal\t%s\t%s\t%s\n' "$(basename "$out")@$mm" "$out" "$mm"; fi
    done
    labelledList "$CURVED/semi" curvedsemi
    labelledList "$CURVED/random" curvedrandom
  fi
} > "$RESULTS/list.tsv"
analyseListed "$RESULTS/list.tsv" "$BIN" "$RESULTS" "$JOBS"

python3 "$HERE/validate_score.py" "$RESULTS/list.tsv" "$RESULTS"
