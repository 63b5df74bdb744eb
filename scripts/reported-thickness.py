#!/usr/bin/env python3
"""The reported thickness (`muscleThicknessMm`, or `muscleThicknessPx` for an uncalibrated clip)
against the observers' mean on the real labelled sequences, per source dataset (tt1, tt3, tt4).

`scripts/validate-geometry.sh` scores the edges `regress` reads at each labels file's column; this
scores the per-frame thickness field itself, the fused value a user reads (Docs/methods.md, Fusion).
The engine's thickness is measured across the muscle (median over the region), the labels' is the
vertical distance at one column, so a steady bias between the two is expected; the figures compare
engine versions, not the engine with the observers' own spread.

Usage: scripts/reported-thickness.py [MSKCINE] [DATA] [OUT]
  defaults: .build/release/mskcine, ../shared/data, a temporary folder (the result documents).
Each clip is analysed as a user would (`analyze`, the calibration read from the screen where there
is one). Millimetres for the pooled MAE: the clip's calibration, or 0.1 mm/px where there is none
(tt1, whose scanner screen is not in the images).
"""
import json
import os
import subprocess
import sys
import tempfile


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/mskcine"
    data = sys.argv[2] if len(sys.argv) > 2 else "../shared/data"
    out = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="reported-thickness-")
    labelled = os.path.join(data, "real-labelled")
    if not os.path.isdir(labelled):
        print(f"reported-thickness: {labelled} not found; skipped")
        return 0
    if not os.access(binary, os.X_OK):
        print(f"reported-thickness: {binary} not built (make release)", file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    per_set: dict[str, list[float]] = {}
    pooled_mm: list[float] = []
    for name in sorted(os.listdir(labelled)):
        if not (name.startswith("tt") and name.endswith(".labels.json")):
            continue
        labels = json.load(open(os.path.join(labelled, name)))
        clip = os.path.join(labelled, labels["clip"])
        result = os.path.join(out, labels["clip"] + ".analysis.json")
        run = subprocess.run([binary, "analyze", clip, "--json", result], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0 or not os.path.exists(result):
            print(f"reported-thickness: {clip}: analyze failed: {run.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        doc = json.load(open(result))
        calibrated = doc.get("unit") == "mm"
        mm_per_px_y = (doc.get("calibration") or {}).get("mmPerPixel", [0.1, 0.1])[1] if calibrated else 0.1
        frames = {f["index"]: f for f in doc.get("frames", [])}
        errors = per_set.setdefault(name.split("_")[0], [])
        for lf in labels.get("frames", []):
            truth = lf.get("muscleThicknessPx")
            engine = frames.get(lf["index"])
            if truth is None or engine is None:
                continue
            value = engine.get("muscleThicknessMm")
            value_px = value / mm_per_px_y if value is not None else engine.get("muscleThicknessPx")
            if value_px is None:
                continue
            errors.append(abs(value_px - truth) / truth)
            pooled_mm.append(abs(value_px - truth) * mm_per_px_y)
    print("reported thickness against the observers' mean (labelled real sequences):")
    print(f"{'set':6s} {'frames':>6s} {'mean rel. error':>16s} {'within 3 %':>11s} {'within 10 %':>12s}")
    for key, errors in per_set.items():
        n = len(errors)
        if n == 0:
            continue
        print(f"{key:6s} {n:6d} {100 * sum(errors) / n:15.1f}% {sum(e <= 0.03 for e in errors):7d}/{n:<3d} {sum(e <= 0.10 for e in errors):8d}/{n:<3d}")
    if pooled_mm:
        print(f"all {len(pooled_mm)} frames: MAE {sum(pooled_mm) / len(pooled_mm):.2f} mm (tt1 at 0.1 mm/px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
