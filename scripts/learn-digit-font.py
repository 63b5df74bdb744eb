#!/usr/bin/python3
"""Learns digit templates for the depth-scale reader (Sources/MSKImaging/DigitFont.swift) from a
scanner's own export: the mean of the clip's first frames, the glyphs inside a rectangle that holds
a known number, each glyph resampled exactly as DigitFont.sample does (8 x 12 cells, area average of
|grey - background| scaled by the glyph's largest difference, quantised to 0-9).

    scripts/learn-digit-font.py CLIP --rect X,Y,W,H --text 50 --font telemed [--frames 8]

prints one Swift line per glyph, to paste into DigitFont.templates. Docs/methods.md, "Screen
calibration", says how to add a new scanner's font. Needs ffmpeg and /usr/bin/python3 with numpy.
"""
import argparse, subprocess, sys
import numpy as np

COLS, ROWS, CONTRAST = 8, 12, 30.0


def mean_frame(path, n):
    out = subprocess.run(['ffmpeg', '-loglevel', 'error', '-i', path, '-frames:v', str(n), '-f', 'image2pipe',
                          '-vcodec', 'pgm', '-'], capture_output=True, check=True).stdout
    frames, i = [], 0
    while i < len(out):
        parts, j = [], i
        while len(parts) < 4:
            k = j
            while out[k:k + 1] not in (b' ', b'\n'):
                k += 1
            parts.append(out[j:k]); j = k + 1
        w, h = int(parts[1]), int(parts[2])
        frames.append(np.frombuffer(out[j:j + w * h], np.uint8).reshape(h, w).astype(np.float64)); i = j + w * h
    return np.mean(frames, 0)


def components(mask):
    h, w = mask.shape
    seen = np.zeros_like(mask, bool); comps = []
    for y in range(h):
        for x in range(w):
            if mask[y, x] and not seen[y, x]:
                stack, pts = [(y, x)], []
                seen[y, x] = True
                while stack:
                    cy, cx = stack.pop(); pts.append((cy, cx))
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            ny, nx = cy + dy, cx + dx
                            if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                                seen[ny, nx] = True; stack.append((ny, nx))
                if len(pts) >= 4:
                    ys = [p[0] for p in pts]; xs = [p[1] for p in pts]
                    comps.append((min(xs), min(ys), max(xs) + 1, max(ys) + 1))
    return sorted(comps)


def sample(diff, box):
    x0, y0, x1, y1 = box
    g = np.clip(diff[y0:y1, x0:x1], 0, None)
    peak = g.max() if g.max() > 0 else 1
    w, h = x1 - x0, y1 - y0
    cells = np.zeros((ROWS, COLS))
    for r in range(ROWS):
        for c in range(COLS):
            ya, yb = r * h / ROWS, (r + 1) * h / ROWS
            xa, xb = c * w / COLS, (c + 1) * w / COLS
            total, area = 0.0, 0.0
            for yy in range(int(ya), min(h, int(np.ceil(yb)))):
                fy = min(yb, yy + 1) - max(ya, yy)
                for xx in range(int(xa), min(w, int(np.ceil(xb)))):
                    fx = min(xb, xx + 1) - max(xa, xx)
                    total += fy * fx * g[yy, xx]; area += fy * fx
            cells[r, c] = total / area / peak
    return cells


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('clip'); ap.add_argument('--rect', required=True); ap.add_argument('--text', required=True)
    ap.add_argument('--font', required=True); ap.add_argument('--frames', type=int, default=8)
    a = ap.parse_args()
    x, y, w, h = map(int, a.rect.split(','))
    m = mean_frame(a.clip, a.frames)[y:y + h, x:x + w]
    diff = np.abs(m - np.median(m))
    boxes = components(diff > CONTRAST)
    if len(boxes) != len(a.text):
        sys.exit(f'{len(boxes)} glyphs found in the rectangle, {len(a.text)} characters given: adjust --rect')
    for ch, box in zip(a.text, boxes):
        cells = sample(diff, box)
        rows = ','.join('"' + ''.join(str(min(9, int(v * 9 + 0.5))) for v in row) + '"' for row in cells)
        print(f'        .init(font: "{a.font}", digit: {ch}, aspect: {(box[2] - box[0]) / (box[3] - box[1]):.3f}, rows: [{rows}]),'
              f' // {a.clip.split("/")[-1]} at ({x + box[0]}, {y + box[1]}), {box[2] - box[0]}x{box[3] - box[1]} px')


if __name__ == '__main__':
    main()
