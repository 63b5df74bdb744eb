#!/usr/bin/env python3
"""Compares result documents (mskcine.analysis/1) of two runs, clip by clip.

    scripts/compare-analysis.py BEFORE_DIR AFTER_DIR [--tolerance 1e-6]

Each DIR holds <name>.json files. Numbers are compared with an absolute-or-relative tolerance
(float noise); strings, booleans and list lengths exactly. Fields that name the run (source path,
engine version) are skipped. Prints one line per difference and a summary; exit 1 when any differ.
"""
import json, math, os, sys

SKIP = {("source", "path"), ("engine",), ("engineVersion",)}

def walk(a, b, path, tol, out):
    if tuple(path[-2:]) in SKIP or tuple(path[-1:]) in SKIP:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{'/'.join(map(str, path + [k]))}: only in {'after' if k not in a else 'before'}")
            else:
                walk(a[k], b[k], path + [k], tol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{'/'.join(map(str, path))}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, path + [i], tol, out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        if not (math.isclose(a, b, rel_tol=tol, abs_tol=tol)):
            out.append(f"{'/'.join(map(str, path))}: {a} -> {b}")
    elif a != b:
        out.append(f"{'/'.join(map(str, path))}: {a!r} -> {b!r}")

def main():
    args = sys.argv[1:]
    tol = 1e-6
    if "--tolerance" in args:
        i = args.index("--tolerance"); tol = float(args[i + 1]); del args[i:i + 2]
    before, after = args
    names = sorted(f for f in os.listdir(before) if f.endswith(".json"))
    differing = 0
    for name in names:
        p = os.path.join(after, name)
        if not os.path.exists(p):
            print(f"{name}: missing after"); differing += 1; continue
        out = []
        walk(json.load(open(os.path.join(before, name))), json.load(open(p)), [], tol, out)
        if out:
            differing += 1
            print(f"{name}: {len(out)} differences")
            for line in out[:20]:
                print("   ", line)
        else:
            print(f"{name}: identical (tolerance {tol:g})")
    print(f"{len(names)} documents, {differing} differ")
    sys.exit(1 if differing else 0)

main()
