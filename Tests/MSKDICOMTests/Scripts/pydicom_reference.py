#!/usr/bin/python3
"""Reference decode of a DICOM file with pydicom (+ Pillow for JPEG), for MSKDICOM's tests.

usage: pydicom_reference.py FILE OUTDIR
Writes OUTDIR/raw.bin (pixel_array of every frame, C order, uint8 or little-endian uint16),
OUTDIR/rgb.bin (8-bit RGB of every frame for colour images: palette through its LUTs with
16-bit entries shifted to their high byte, YBR through pydicom's convert_color_space) and
prints a JSON summary on stdout.
"""
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_color_lut, convert_color_space

path, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
ds = pydicom.dcmread(path)
arr = ds.pixel_array
frames = int(ds.get("NumberOfFrames", 1) or 1)
spp = int(ds.SamplesPerPixel)
if frames == 1:
    arr = arr[np.newaxis, ...]
pi = str(ds.PhotometricInterpretation)
dtype = "uint16" if arr.dtype.itemsize == 2 else "uint8"
arr.astype("<u2" if dtype == "uint16" else "u1").tofile(os.path.join(out, "raw.bin"))
rgb = None
if pi == "PALETTE COLOR":
    lut = apply_color_lut(arr, ds)
    bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    rgb = (lut >> 8).astype("u1") if bits == 16 else lut.astype("u1")
elif spp == 3 and pi.startswith("YBR_FULL"):
    rgb = np.stack([convert_color_space(f, "YBR_FULL", "RGB") for f in arr]).astype("u1")
elif spp == 3:
    rgb = arr.astype("u1")
if rgb is not None:
    rgb.tofile(os.path.join(out, "rgb.bin"))


def text(keyword):
    v = ds.get(keyword)
    return None if v is None or str(v) == "" else str(v)


regions = []
for item in ds.get("SequenceOfUltrasoundRegions", []):
    regions.append({k: (float(item.get(k)) if k.startswith("PhysicalDelta") else int(item.get(k)))
                    for k in ["RegionSpatialFormat", "RegionDataType", "RegionLocationMinX0", "RegionLocationMinY0",
                              "RegionLocationMaxX1", "RegionLocationMaxY1", "PhysicalUnitsXDirection",
                              "PhysicalUnitsYDirection", "PhysicalDeltaX", "PhysicalDeltaY"] if k in item})
print(json.dumps({
    "rows": int(ds.Rows), "columns": int(ds.Columns), "frames": frames, "samplesPerPixel": spp,
    "photometric": pi, "dtype": dtype, "hasRGB": rgb is not None,
    "transferSyntax": str(ds.file_meta.TransferSyntaxUID),
    "patientID": text("PatientID"), "studyInstanceUID": text("StudyInstanceUID"),
    "seriesInstanceUID": text("SeriesInstanceUID"), "sopInstanceUID": text("SOPInstanceUID"),
    "studyDate": text("StudyDate"), "modality": text("Modality"), "manufacturer": text("Manufacturer"),
    "frameTime": float(ds.FrameTime) if "FrameTime" in ds else None,
    "regions": regions,
}))
