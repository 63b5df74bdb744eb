#!/bin/bash
# Seed corpus for `make fuzz`: the pydicom-written test fixtures (every syntax the parser reads)
# and the smallest real file. Usage: make_seeds.sh CORPUS_DIR
set -euo pipefail
corpus=$1
mkdir -p "$corpus"
here=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$(mktemp -d)
/usr/bin/python3 "$here/Tests/MSKDICOMTests/Scripts/make_fixtures.py" "$fixtures"
cp "$fixtures"/*.dcm "$corpus"/
rm -rf "$fixtures"
real="$here/../shared/data/real-dicom/OBXXXX1A_rle_2frame.dcm"
if [ -f "$real" ]; then cp "$real" "$corpus"/; fi
