#!/usr/bin/env python3
"""Draws clips into a curved (convex) array's sector, for `make validate` set (f).

Each frame's imaging region is mapped to an annular sector about an apex above the image: rows to
radii (the top row at R from the apex, one pixel per pixel), columns to angles at the image's
mid-depth radius (so the lateral scale there is kept and is r / r_mid elsewhere). R (the probe's
radius) is drawn per clip, 35-60 mm, from a hash of the output name; the canvas is black or grey
24. Straight layers become concentric arcs: more curved than a real curved array shows them (its
deeper layers flatten), a hard case for the layers' curvature. H.264, CRF 18, one thread.

Usage:
  curved-sector.py clip SRC.mp4 OUT.mp4 MM X,Y,W,H        one clip, the region given (real clips)
  curved-sector.py labelled SRC_DIR OUT_DIR [MAX]         every labelled clip with square pixels
                                                          that ffmpeg decodes (at most MAX), with
                                                          its labels (imagingRegion: the sector's
                                                          bounding box; simulation.curvedRadiusMm)
A clip whose output exists is skipped. Needs numpy and the ffmpeg/ffprobe commands (make deps).
"""
import hashlib
import json
import os
import subprocess
import sys

import numpy as np


def draw(src, out, mm, region, name):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height,r_frame_rate", "-of", "csv=p=0", src], capture_output=True, text=True)
    fields = probe.stdout.strip().split(",")
    if probe.returncode != 0 or len(fields) < 3:
        return None
    W, H = int(fields[0]), int(fields[1])
    num, _, den = fields[2].partition("/")
    fps = float(num) / float(den) if den and float(den) else 25.0
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W)
    x, y, w, h = region
    frames = frames[:, y:y + h, x:x + w]
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    radius_mm = 35 + 25 * (digest % 1000) / 999
    canvas = 24 if (digest >> 12) % 3 == 2 else 0
    r0 = radius_mm / mm
    r_mid = r0 + h / 2
    theta = (w / 2) / r_mid
    ow = int(2 * (r0 + h) * np.sin(theta)) + 60
    ow += ow % 2
    top = 30
    ay = top - r0
    oh = int(ay + r0 + h) + 30
    oh += oh % 2
    ax = ow / 2
    yy, xx = np.mgrid[0:oh, 0:ow].astype(float)
    r = np.hypot(xx - ax, yy - ay)
    phi = np.arctan2(xx - ax, yy - ay)
    sy, sx = r - r0, w / 2 + phi * r_mid
    inside = (sy >= 0) & (sy < h - 1) & (np.abs(phi) < theta) & (sx >= 0) & (sx < w - 1)
    sx, sy = np.clip(sx, 0, w - 1.001), np.clip(sy, 0, h - 1.001)
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    fx, fy = sx - x0, sy - y0
    tmp = out + ".part.mp4"
    enc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{ow}x{oh}", "-r", f"{fps:.4f}",
                            "-i", "-", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "1", tmp], stdin=subprocess.PIPE)
    for f in frames:
        f = f.astype(float)
        v = (f[y0, x0] * (1 - fx) * (1 - fy) + f[y0, x0 + 1] * fx * (1 - fy) + f[y0 + 1, x0] * (1 - fx) * fy + f[y0 + 1, x0 + 1] * fx * fy)
        enc.stdin.write(np.where(inside, v, canvas).astype(np.uint8).tobytes())
    enc.stdin.close()
    if enc.wait() != 0:
        if os.path.exists(tmp):
            os.remove(tmp)
        return None
    os.replace(tmp, out)
    cols, rows = np.where(inside.any(0))[0], np.where(inside.any(1))[0]
    box = {"x": int(cols[0]), "y": int(rows[0]), "width": int(cols[-1] - cols[0] + 1), "height": int(rows[-1] - rows[0] + 1)}
    return box, round(radius_mm, 1), [ow, oh]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "clip" and len(sys.argv) == 6:
        src, out, mm = sys.argv[2], sys.argv[3], float(sys.argv[4])
        region = [int(v) for v in sys.argv[5].split(",")]
        if not os.path.exists(out) and draw(src, out, mm, region, os.path.basename(out)) is None:
            sys.exit(f"curved-sector: could not draw {src}")
    elif mode == "labelled" and len(sys.argv) in (4, 5):
        src_dir, out_dir = sys.argv[2], sys.argv[3]
        limit = int(sys.argv[4]) if len(sys.argv) == 5 else None
        if not os.path.isdir(src_dir):
            sys.exit(f"curved-sector: no folder {src_dir}")
        os.makedirs(out_dir, exist_ok=True)
        done = 0
        for lf in sorted(f for f in os.listdir(src_dir) if f.endswith(".labels.json")):
            if limit is not None and done >= limit:
                break
            lab = json.load(open(os.path.join(src_dir, lf)))
            mm = lab.get("mmPerPixel")
            if not mm or abs(mm[0] - mm[1]) > 1e-9 or lab["clip"].endswith(".dcm"):
                continue
            name = "cvx_" + lab["clip"].rsplit(".", 1)[0]
            out = os.path.join(out_dir, name + ".mp4")
            done += 1
            if os.path.exists(os.path.join(out_dir, name + ".labels.json")):
                continue
            reg = lab.get("imagingRegion")
            region = [reg["x"], reg["y"], reg["width"], reg["height"]] if reg else None
            if region is None:
                continue
            drawn = draw(os.path.join(src_dir, lab["clip"]), out, mm[0], region, name)
            if drawn is None:
                continue
            box, radius, size = drawn
            lab["clip"], lab["imagingRegion"], lab["frameSize"] = name + ".mp4", box, size
            lab.setdefault("simulation", {})["curvedRadiusMm"] = radius
            with open(os.path.join(out_dir, name + ".labels.json.part"), "w") as f:
                json.dump(lab, f, indent=1)
            os.replace(os.path.join(out_dir, name + ".labels.json.part"), os.path.join(out_dir, name + ".labels.json"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
