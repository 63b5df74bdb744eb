#!/usr/bin/python3
"""Writes the DICOM fixtures MSKDICOM's tests compare with pydicom. usage: make_fixtures.py OUTDIR

Every file is multi-frame with deterministic pixels (a gradient plus a per-frame shift), so a
wrong stride, plane order, byte order or frame offset changes the values.
"""
import os
import subprocess
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,
                         DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless, generate_uid)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
W, H, N = 64, 48, 4


def base(syntax, rows=H, cols=W, frames=N, regions=True, undefined=False):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"  # US Multi-frame Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.PatientID = "P001"
    ds.PatientName = "Test^Patient"
    ds.PatientBirthDate = "19700101"
    ds.StudyDate = "20260110"
    ds.StudyTime = "103000"
    ds.Modality = "US"
    ds.Manufacturer = "MSKCine"
    ds.ManufacturerModelName = "fixture"
    ds.BodyPartExamined = "THIGH"
    ds.Laterality = "R"
    ds.TransducerData = "L12-5"
    ds.Rows, ds.Columns = rows, cols
    ds.NumberOfFrames = frames
    ds.FrameTime = "40"
    ds.FrameIncrementPointer = 0x00181063
    if regions:
        r = Dataset()
        r.RegionSpatialFormat = 1
        r.RegionDataType = 1
        r.RegionFlags = 0
        r.RegionLocationMinX0, r.RegionLocationMinY0 = 4, 2
        r.RegionLocationMaxX1, r.RegionLocationMaxY1 = cols - 5, rows - 3
        r.PhysicalUnitsXDirection = 3
        r.PhysicalUnitsYDirection = 3
        r.PhysicalDeltaX = 0.0125
        r.PhysicalDeltaY = 0.015
        ds.SequenceOfUltrasoundRegions = Sequence([r])
        if undefined:
            ds["SequenceOfUltrasoundRegions"].is_undefined_length = True
            r.is_undefined_length_sequence_item = True
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    return ds


def grey(frames=N, rows=H, cols=W, bits=8):
    y, x = np.mgrid[0:rows, 0:cols]
    top = 255 if bits == 8 else 4095
    f = [((x * 3 + y * 5 + 17 * k) % (top + 1)) for k in range(frames)]
    return np.stack(f).astype("u1" if bits == 8 else "u2")


def rgb(frames=N, rows=H, cols=W):
    y, x = np.mgrid[0:rows, 0:cols]
    return np.stack([np.stack([(x * 4 + k * 9) % 256, (y * 5 + k * 3) % 256, (x + y + k * 31) % 256], -1)
                     for k in range(frames)]).astype("u1")


def mono(ds, arr, bits=8):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits
    ds.BitsStored = 8 if bits == 8 else 12
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = arr.tobytes() if ds.is_little_endian else arr.astype(">u2").tobytes()
    if bits == 16:
        ds["PixelData"].VR = "OW"


def colour(ds, arr, planar=0, photometric="RGB"):
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = planar
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    data = arr.transpose(0, 3, 1, 2) if planar == 1 else arr
    ds.PixelData = np.ascontiguousarray(data).tobytes()


def save(ds, name):
    ds.save_as(os.path.join(out, name), write_like_original=False)


ds = base(ExplicitVRLittleEndian); mono(ds, grey()); save(ds, "grey8_explicit.dcm")
ds = base(ImplicitVRLittleEndian); mono(ds, grey()); save(ds, "grey8_implicit.dcm")
ds = base(ExplicitVRLittleEndian, undefined=True); mono(ds, grey()); save(ds, "grey8_undefined_sq.dcm")
ds = base(ExplicitVRLittleEndian, regions=False); mono(ds, grey()); ds.PixelSpacing = ["0.2", "0.1"]; save(ds, "grey8_pixel_spacing.dcm")
ds = base(ExplicitVRBigEndian); mono(ds, grey(bits=16), bits=16); save(ds, "grey16_bigendian.dcm")
ds = base(DeflatedExplicitVRLittleEndian, undefined=True); mono(ds, grey()); save(ds, "grey8_deflated.dcm")
ds = base(ExplicitVRLittleEndian); colour(ds, rgb(), 0); save(ds, "rgb_planar0.dcm")
ds = base(ExplicitVRLittleEndian); colour(ds, rgb(), 1); save(ds, "rgb_planar1.dcm")
ds = base(ExplicitVRLittleEndian); colour(ds, rgb(), 0, "YBR_FULL"); save(ds, "ybr_full.dcm")
# YBR_FULL_422 native: Y0 Y1 Cb Cr per pixel pair.
ybr = rgb()
packed = []
for f in ybr:
    flat = f.reshape(-1, 3)
    for p in range(0, flat.shape[0], 2):
        packed += [flat[p, 0], flat[p + 1, 0], flat[p, 1], flat[p, 2]]
ds = base(ExplicitVRLittleEndian); colour(ds, ybr, 0, "YBR_FULL_422"); ds.PixelData = bytes(np.array(packed, "u1")); save(ds, "ybr_full_422.dcm")
# RLE Lossless, grey and RGB, encoded by pydicom.
ds = base(ExplicitVRLittleEndian); mono(ds, grey()); ds.compress(RLELossless, grey()); save(ds, "grey8_rle.dcm")
ds = base(ExplicitVRLittleEndian); colour(ds, rgb(), 0); ds.compress(RLELossless, rgb()); save(ds, "rgb_rle.dcm")

# JPEG Baseline from ffmpeg's encoder: one JPEG per frame, YBR_FULL_422.
def jpeg_frames(arr):
    frames = []
    for k, f in enumerate(arr):
        raw = os.path.join(out, "frame.rgb")
        f.tofile(raw)
        jpg = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-i", raw,
                              "-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-q:v", "3", "-f", "image2pipe", "-"],
                             check=True, capture_output=True).stdout
        os.remove(raw)
        frames.append(jpg)
    return frames

def jpeg(name, fragments_per_frame=1, bot=True):
    ds = base(JPEGBaseline8Bit)
    colour(ds, rgb(), 0, "YBR_FULL_422")
    ds.PixelData = encapsulate(jpeg_frames(rgb()), fragments_per_frame=fragments_per_frame, has_bot=bot)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    save(ds, name)

jpeg("jpeg_baseline.dcm")
jpeg("jpeg_baseline_2frag.dcm", fragments_per_frame=2, bot=True)
jpeg("jpeg_baseline_nobot.dcm", bot=False)

# H.264 (MPEG-4 AVC High Profile): one elementary stream over two fragments of arbitrary size;
# the stream is kept beside it (h264.h264) so the test can compare with ffmpeg's own decode.
raw = os.path.join(out, "frames.rgb")
rgb(8).tofile(raw)
stream = os.path.join(out, "h264.h264")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "25", "-i", raw,
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2", "-f", "h264", stream], check=True)
os.remove(raw)
data = open(stream, "rb").read()
ds = base("1.2.840.10008.1.2.4.102", frames=8)
colour(ds, rgb(8), 0, "YBR_PARTIAL_420")
cut = len(data) // 3 * 2 // 2 * 2
item = lambda b: b"\xfe\xff\x00\xe0" + len(b).to_bytes(4, "little") + b
odd = data + (b"\x00" if len(data) % 2 else b"")
ds.PixelData = item(b"") + item(odd[:cut]) + item(odd[cut:])  # pydicom adds the sequence delimiter
ds["PixelData"].is_undefined_length = True
ds["PixelData"].VR = "OB"
save(ds, "h264.dcm")
