# Shared by validate.sh, devset.sh and devscore.sh (sourced): the real backgrounds of the
# semi-synthetic sets, the listing of a folder of labelled clips, and the analysis of a listing.

# The semi-synthetic backgrounds under DATA, one line each: clip<TAB>mm per pixel<TAB>synth options
# (last, as it may be empty: `read` with IFS=tab takes a run of tabs for one).
# The six p6 clips (0.0881 mm/px, the scanner's ruler) and the six labelled real-cine clips
# (0.108 mm/px); the real-cine belly (gastrocnemius between the superficial aponeurosis and the
# soleus) read off the first frames by eye: rows at the image's centre column (x 400) and the slope,
# where the estimate picks a line inside the soleus (Docs/validation.md).
semiBackgrounds() {   # DATA
  local f
  for f in "$1"/real-video/p6_*.mp4 "$1"/real-cine/B*.wmv "$1"/real-cine/b*.wmv; do
    [ -f "$f" ] || continue
    case "$f" in *noload*) continue ;; esac
    backgroundLine "$f"
  done
}
backgroundLine() {   # CLIP: its line as semiBackgrounds prints it
  case "$1" in
    *real-cine*) printf '%s\t%s\t%s\n' "$1" 0.108 "--muscle-rows 158,256,-0.09" ;;
    *) printf '%s\t%s\t%s\n' "$1" 0.0881 "" ;;
  esac
}
# A background's name in clip names: its file name without extension, A-Za-z0-9_ only.
backgroundStem() { basename "${1%.*}" | tr -c 'A-Za-z0-9_\n' '_'; }

# Every labelled clip in DIR that exists, one line each: SET<TAB>clip name<TAB>clip path<TAB>mm per pixel.
labelledList() {   # DIR SET
  python3 - "$1" "$2" <<'PY'
import json, os, sys
d, s = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    if not f.endswith(".labels.json"):
        continue
    lab = json.load(open(os.path.join(d, f)))
    clip = os.path.join(d, lab["clip"])
    if not os.path.exists(clip):
        continue
    mm = ",".join(str(v) for v in lab.get("mmPerPixel") or [])
    print(f"{s}\t{lab['clip']}\t{clip}\t{mm}")
PY
}

# Analyses every line of LIST (labelledList's format) into OUT/<set>/<name>.analysis.json, the
# standard error beside it (.err); JOBS at once; PARAMETERS (if set) overrides analysis parameters.
analyseListed() {   # LIST BIN OUT JOBS
  local set name clip mm opt
  while IFS=$'\t' read -r set name clip mm; do
    opt=""; [ -n "$mm" ] && opt="--mm-per-pixel $mm"
    [ -n "${PARAMETERS:-}" ] && opt="$opt --parameters '$PARAMETERS'"
    mkdir -p "$3/$set"
    printf '%s\0' "$2 analyze '$clip' $opt --json '$3/$set/$name.analysis.json' >/dev/null 2>'$3/$set/$name.err' || true"
  done < "$1" | xargs -0 -r -P "$4" -I{} bash -c '{}'
}
