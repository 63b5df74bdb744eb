#!/usr/bin/env python3
"""Scores `mskcine analyze` result documents against labels, one table per set (Docs/validation.md).

Usage: validate_score.py LIST.tsv RESULTS_DIR
LIST.tsv lines: set<TAB>name<TAB>clip path<TAB>mm per pixel. RESULTS_DIR/<set>/<name>.analysis.json
holds each result (missing: the analysis failed; RESULTS_DIR/<set>/<name>.err says why).
Truth for the semi-synthetic and randomised sets is the <clip>.labels.json beside each clip.
"""
import json
import math
import os
import sys

TEAR = "full-thickness-tear"
PARTIAL = "partial-tear"
NOTEAR = "no-tear"
INDET = "indeterminate"
CLASSES = [TEAR, PARTIAL, NOTEAR, INDET]
SHORT = {TEAR: "full", PARTIAL: "partial", NOTEAR: "no-tear", INDET: "indet", "failed": "failed"}


def labels_for(clip):
    stem, _ = os.path.splitext(clip)
    path = stem + ".labels.json"
    return json.load(open(path)) if os.path.exists(path) else None


def median(v):
    s = sorted(v)
    n = len(s)
    return None if n == 0 else (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2)


def pearson(a, b):
    n = len(a)
    if n < 3:
        return None
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va <= 1e-12 or vb <= 1e-12:
        return None
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / math.sqrt(va * vb)


def wilson(k, n, z=1.96):
    """95% Wilson score interval of a proportion k/n (None when n is 0)."""
    if not n:
        return None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def ci(k, n):
    w = wilson(k, n)
    return "" if w is None else f"; 95% CI {w[0]:.2f}-{w[1]:.2f}"


def load(results, s, name):
    path = os.path.join(results, s, name + ".analysis.json")
    if not os.path.exists(path):
        err = os.path.join(results, s, name + ".err")
        reason = open(err).read().strip().splitlines()[-1:] if os.path.exists(err) else []
        return None, (reason[0] if reason else "no result")
    return json.load(open(path)), None


def fmt(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def real_table(rows, results, title="(a) Real healthy clips", key="real"):
    print(f"\n## {title} (target: 0 tear calls)\n")
    print(f"{'clip @ mm/px':58} {'call':14} evidence")
    tears = 0
    counts = {}
    for name, clip, mm in rows:
        doc, err = load(results, key, name)
        call = doc["finding"]["classification"] if doc else "failed"
        counts[call] = counts.get(call, 0) + 1
        if call in (TEAR, PARTIAL):
            tears += 1
        why = ""
        if doc:
            ev = doc["finding"].get("evidence") or doc["finding"].get("reasons") or []
            why = (ev[-1] if isinstance(ev, list) and ev else str(ev))[:90] if ev else ""
        else:
            why = err[:70]
        print(f"{name:58} {SHORT.get(call, call):14} {why}")
    summary = ", ".join(f"{SHORT.get(k, k)} {v}" for k, v in sorted(counts.items()))
    print(f"\nreal clips: {len(rows)}; tear calls (full or partial): {tears}  [{summary}]")
    clips = {name.split("@")[0] for name, _, _ in rows}
    w = wilson(tears, len(rows))
    if w is not None:
        print(f"tear-call rate {tears}/{len(rows)} runs, 95% CI {w[0]:.2f}-{w[1]:.2f} (runs of {len(clips)} distinct clips, "
              "some at two scales: not independent, so the true interval is wider)")
    return tears


def median_thickness(doc):
    """The median of the reported muscle thickness (mm) over the frames where it is reported, and
    the count of those frames and of all frames."""
    frames = doc.get("frames") or []
    values = [f["muscleThicknessMm"] for f in frames if f.get("muscleThicknessMm") is not None]
    return median(values), len(values), len(frames)


def reframed_thickness(rows, results, real_rows):
    """Set (e) beside (a): each reframed copy's median thickness against its source clip's. A copy
    played backwards or enlarged shows the same muscle in the same frames, so its figure should be
    the source's; the half-images and the late start show other columns or other frames."""
    sources = {name for name, _, _ in real_rows}
    print("\nthickness of each reframed copy beside its source clip's in (a) (median over the frames where found, mm):")
    print(f"{'copy':52} {'found':>9} {'median':>7} {'source':>7} {'diff':>6}")
    same = []
    for name, _, _ in rows:
        copy, _ = load(results, "reframed", name)
        stem, way = name.split("@")[0][:-len(".mp4")].rsplit("_", 1)
        source = next((k for k in (f"{stem}.mp4@0.0881", f"{stem}.wmv@0.108") if k in sources), None)
        src, _ = load(results, "real", source) if source else (None, None)
        if copy is None or src is None:
            print(f"{name:52} {'-':>9}")
            continue
        m, found, n = median_thickness(copy)
        s0, _, _ = median_thickness(src)
        diff = m - s0 if m is not None and s0 is not None else None
        if diff is not None and way in ("reversed", "zoom110"):
            same.append(abs(diff))
        print(f"{name:52} {found:>4}/{n:<4} {fmt(m):>7} {fmt(s0):>7} {fmt(diff):>6}")
    if same:
        print(f"copies showing the same frames and muscle (played backwards, enlarged): largest thickness difference "
              f"{max(same):.2f} mm over {len(same)} copies")


# Bands of the haematoma's grey share (the 0-50 % of the belly's level): the share it
# shows (semi-synthetic labels' fluidShownShare: the drawn one, or the background scanner's noise
# floor where brighter), else the drawn one (fluidEchogenicity).
SHARE_BANDS = [(0.0, 0.1), (0.1, 0.3), (0.3, 0.5)]


def labelled_table(title, key, rows, results):
    print(f"\n## {title}\n")
    print(f"{'clip':52} {'truth':8} {'call':8} {'gapMAE':>7} {'widenErr':>8} {'contr r':>7}")
    confusion = {}
    gap_errors, widen_errors, rs = [], [], []
    # Muscle thickness (issue 12: simulated thickness MAE, and no clip where the muscle is not
    # found), where the labels carry it: every labelled frame, a frame without the engine's
    # thickness counting as not found.
    thick_errors, thick_frames, thick_missing, not_found = [], 0, 0, []
    # Full tears called full by the haematoma's grey share (shown, else drawn).
    by_share = {}
    for name, clip, mm in rows:
        lab = labels_for(clip)
        if lab is None:
            continue
        truth = lab["classification"]
        doc, err = load(results, key, name)
        call = doc["finding"]["classification"] if doc else "failed"
        confusion[(truth, call)] = confusion.get((truth, call), 0) + 1
        sim = lab.get("simulation") or {}
        share = sim.get("fluidShownShare", sim.get("fluidEchogenicity"))
        if truth == TEAR and share is not None:
            band = next(b for b in SHARE_BANDS if share < b[1] or b == SHARE_BANDS[-1])
            hits = by_share.setdefault(band, [0, 0])
            hits[0] += call == TEAR
            hits[1] += 1
        gm = we = r = None
        # Every frame labelled with a thickness; one the engine did not find (or a failed analysis)
        # counts as not found.
        est = {f["index"]: f for f in doc.get("frames", [])} if doc else {}
        found_any = False
        for f in lab.get("frames") or []:
            if f.get("muscleThicknessMm") is None:
                continue
            thick_frames += 1
            e = est.get(f["index"])
            t = e.get("muscleThicknessMm") if e and e.get("muscleDetected", True) else None
            if t is None:
                thick_missing += 1
            else:
                found_any = True
                thick_errors.append(t - f["muscleThicknessMm"])
        if not found_any and any(f.get("muscleThicknessMm") is not None for f in lab.get("frames") or []):
            not_found.append(name)
        if doc:
            errs, ca, cb = [], [], []
            rest, peak = [], []
            for f in lab.get("frames") or []:
                e = est.get(f["index"])
                if e is None:
                    continue
                if f.get("gapWidthMm") is not None and e.get("gapWidthMm") is not None:
                    errs.append(e["gapWidthMm"] - f["gapWidthMm"])
                if f.get("contraction") is not None and e.get("contraction") is not None:
                    ca.append(e["contraction"])
                    cb.append(f["contraction"])
                c = f.get("contraction")
                if c is not None and f.get("gapWidthMm") is not None:
                    eg = e.get("gapWidthMm")
                    if c <= 0.2:
                        rest.append((eg, f["gapWidthMm"]))
                    elif c >= 0.8:
                        peak.append((eg, f["gapWidthMm"]))
            if truth != NOTEAR and errs:
                gm = sum(abs(x) for x in errs) / len(errs)
                gap_errors.extend(errs)
            if truth == TEAR and rest and peak:
                er = [a for a, _ in rest if a is not None]
                ep = [a for a, _ in peak if a is not None]
                tw = median([b for _, b in peak]) - median([b for _, b in rest])
                if er and ep:
                    we = (median(ep) - median(er)) - tw
                else:
                    we = -tw  # no gap measured: the whole widening was missed
                widen_errors.append(we)
            r = pearson(ca, cb)
            if r is not None:
                rs.append(r)
        print(f"{name[:52]:52} {SHORT.get(truth, truth):8} {SHORT.get(call, call):8} {fmt(gm):>7} {fmt(we):>8} {fmt(r):>7}")
    n_tear = sum(v for (t, _), v in confusion.items() if t == TEAR)
    tp = confusion.get((TEAR, TEAR), 0)
    n_non = sum(v for (t, _), v in confusion.items() if t != TEAR)
    fp = sum(v for (t, c), v in confusion.items() if t != TEAR and c == TEAR)
    n_part = sum(v for (t, _), v in confusion.items() if t == PARTIAL)
    part_ok = confusion.get((PARTIAL, PARTIAL), 0)
    n_none = sum(v for (t, _), v in confusion.items() if t == NOTEAR)
    none_tear = sum(v for (t, c), v in confusion.items() if t == NOTEAR and c in (TEAR, PARTIAL))
    print("\nconfusion (rows truth, columns call):")
    cols = CLASSES + ["failed"]
    print(f"{'':10}" + "".join(f"{SHORT[c]:>9}" for c in cols))
    for t in [TEAR, PARTIAL, NOTEAR]:
        print(f"{SHORT[t]:10}" + "".join(f"{confusion.get((t, c), 0):>9}" for c in cols))
    sens = tp / n_tear if n_tear else None
    spec = (n_non - fp) / n_non if n_non else None
    print(f"\nfull-thickness sensitivity {fmt(sens)} ({tp}/{n_tear}{ci(tp, n_tear)}); specificity {fmt(spec)} ({n_non - fp}/{n_non}{ci(n_non - fp, n_non)})")
    if by_share:
        print("full-thickness tears called full, by the haematoma's grey share of the belly's (shown; drawn where not labelled): "
              + "; ".join(f"{lo:.1f}-{hi:.1f} {by_share[(lo, hi)][0]}/{by_share[(lo, hi)][1]}"
                          for lo, hi in SHARE_BANDS if (lo, hi) in by_share))
    print(f"partial graded right {fmt(100 * part_ok / n_part if n_part else None, 0)} % ({part_ok}/{n_part}{ci(part_ok, n_part)}); "
          f"tear calls on intact clips {none_tear}/{n_none}")
    gmae = sum(abs(x) for x in gap_errors) / len(gap_errors) if gap_errors else None
    wmae = sum(abs(x) for x in widen_errors) / len(widen_errors) if widen_errors else None
    wbias = sum(widen_errors) / len(widen_errors) if widen_errors else None
    print(f"gap width MAE {fmt(gmae)} mm over {len(gap_errors)} frames of tear clips; "
          f"widening error MAE {fmt(wmae)} mm (mean {fmt(wbias)}) over {len(widen_errors)} full tears")
    print(f"contraction r: mean {fmt(sum(rs) / len(rs) if rs else None)}, min {fmt(min(rs) if rs else None)} over {len(rs)} clips")
    if thick_frames:
        tmae = sum(abs(x) for x in thick_errors) / len(thick_errors) if thick_errors else None
        tbias = sum(thick_errors) / len(thick_errors) if thick_errors else None
        print(f"muscle thickness MAE {fmt(tmae)} mm (bias {fmt(tbias)}) over {len(thick_errors)} frames where found; "
              f"not found in {thick_missing} of {thick_frames} labelled frames; clips where the muscle is never found: "
              f"{len(not_found)}" + (f" ({', '.join(not_found)})" if not_found else ""))


def main():
    listing, results = sys.argv[1], sys.argv[2]
    sets = {}
    for line in open(listing):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        sets.setdefault(parts[0], []).append((parts[1], parts[2], parts[3]))
    if "real" in sets:
        real_table(sets["real"], results)
    if "semi" in sets:
        labelled_table("(b) Semi-synthetic: tears drawn into real healthy clips, and their controls", "semi", sets["semi"], results)
    if "random" in sets:
        seeds = os.environ.get("SCORE_SEEDS", "validation")
        labelled_table(f"(c) Randomised simulator set ({seeds} seeds)", "random", sets["random"], results)
    if "reexport" in sets:
        real_table(sets["reexport"], results, "(d) Real healthy clips exported again (10-bit, CRF 30, grey canvas strips, mirrored, 15 frames/s)", "reexport")
    if "reframed" in sets:
        real_table(sets["reframed"], results, "(e) Real healthy clips reframed (played backwards, from 40 % in, left or right 80 % of the image, top 91 % enlarged 1.1 times)", "reframed")
        if "real" in sets:
            reframed_thickness(sets["reframed"], results, sets["real"])
    if "curvedreal" in sets:
        real_table(sets["curvedreal"], results, "(f) Curved-array sectors: the real healthy clips of (a) drawn into sectors", "curvedreal")
    if "curvedsemi" in sets:
        labelled_table("(f) Curved-array sectors: clips of (b) drawn into sectors", "curvedsemi", sets["curvedsemi"], results)
    if "curvedrandom" in sets:
        labelled_table("(f) Curved-array sectors: clips of (c) drawn into sectors", "curvedrandom", sets["curvedrandom"], results)


if __name__ == "__main__":
    main()
