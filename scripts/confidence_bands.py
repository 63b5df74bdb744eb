#!/usr/bin/env python3
"""The share of right calls per call and confidence band (Docs/findings.md, "Confidence").

Usage: scripts/confidence_bands.py [RESULTS]   (default .build-validate/results, after `make validate`)

Reads the listing `make validate` leaves in RESULTS/list.tsv and each clip's result document beside
it. Truth: the real runs (set a) count as no tear; semi-synthetic (b) and randomised (c) clips
carry it in <clip>.labels.json. Indeterminate calls are left out and counted. Bands: [0, 0.6),
[0.6, 0.75), [0.75, 1]. Each wrong call is named with its truth and confidence.
"""
import os
import sys

from validate_score import INDET, NOTEAR, labels_for, load

BANDS = [(0.0, 0.6), (0.6, 0.75), (0.75, 1.0)]


def band_of(confidence):
    for lo, hi in BANDS:
        if lo <= confidence < hi or (hi == 1.0 and confidence >= 1.0):
            return (lo, hi)
    raise ValueError(f"confidence {confidence} outside 0-1")


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else ".build-validate/results"
    listing = os.path.join(results, "list.tsv")
    if not os.path.exists(listing):
        sys.exit(f"confidence_bands: no {listing}; run `make validate` first")
    table, wrong, indeterminate, missing = {}, {}, 0, 0
    for line in open(listing):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4 or parts[0] not in ("real", "semi", "random"):
            continue
        key, name, clip = parts[0], parts[1], parts[2]
        doc, _ = load(results, key, name)
        if doc is None:
            missing += 1
            continue
        finding = doc["finding"]
        call = finding["classification"]
        if call == INDET:
            indeterminate += 1
            continue
        truth = NOTEAR if key == "real" else labels_for(clip)["classification"]
        confidence = finding.get("confidence") or 0.0
        cell = (call, band_of(confidence))
        counts = table.setdefault(cell, [0, 0])
        counts[0] += call == truth
        counts[1] += 1
        if call != truth:
            wrong.setdefault(cell, []).append(f"{name} ({truth}, {confidence:.2f})")
    print(f"{'call':20} {'confidence':11} right / calls   wrong ones")
    for (call, (lo, hi)) in sorted(table):
        right, n = table[(call, (lo, hi))]
        print(f"{call:20} {lo:.2f}-{hi:.2f}   {right:>3}/{n:<3} ({100 * right / n:.0f} %)  "
              + "; ".join(wrong.get((call, (lo, hi)), [])))
    print(f"indeterminate calls left out: {indeterminate}" + (f"; result documents missing: {missing}" if missing else ""))


if __name__ == "__main__":
    main()
