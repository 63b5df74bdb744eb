#!/bin/bash
# Seed corpus for `make fuzz`: the pydicom-written test fixtures (every syntax the parser reads),
# the smallest real file, Fuzz/seeds/, and the simulator's DICOM when mskcine is built. Usage: make_seeds.sh CORPUS_DIR
set -euo pipefail
corpus=$1
mkdir -p "$corpus"
here=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$(mktemp -d)
/usr/bin/python3 "$here/Tests/MSKDICOMTests/Scripts/make_fixtures.py" "$fixtures"
cp "$fixtures"/*.dcm "$corpus"/
rm -rf "$fixtures"
# Hand-made hostile files kept in the repository (e.g. an RLE frame whose Rows x Columns promise
# 256 MiB from a 16-byte segment: the decoder once reserved that much before reading).
cp "$here"/Fuzz/seeds/*.dcm "$corpus"/
real="$here/../shared/data/real-dicom/OBXXXX1A_rle_2frame.dcm"
if [ -f "$real" ]; then cp "$real" "$corpus"/; fi
# The simulator's own DICOM (grey, and RGB with the export canvas), when mskcine is built.
mskcine="$here/.build/debug/mskcine"
if [ -x "$mskcine" ]; then
  "$mskcine" synth "$corpus" --case partial --seed 3 --size 96x64 --frames 2 --codec dicom --name sim_grey 2>/dev/null
  "$mskcine" synth "$corpus" --case full --seed 4 --size 128x96 --frames 2 --codec dicom --canvas --name sim_rgb 2>/dev/null
  rm -f "$corpus"/*.labels.json
fi
