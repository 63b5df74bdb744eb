# MSKCine. `make demo` and `make test` each do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build and the tests need: FFmpeg 5.1 headers and libraries, pkg-config,
# and the ffmpeg/ffprobe command line the tests compare the reader with; pydicom (with Pillow and
# numpy, for /usr/bin/python3) and dcmtk's dcmdump, the references the DICOM tests compare with
# (dcmtk's dsrdump also reads the structured reports back); Orthanc 1.10 and its DICOMweb plugin,
# the real PACS the MSKPACSTests start on a loopback port (Docs/pacs.md).
# Not here: Debian's chromium (about 120 MB to download, 290 MB installed), which only the test that
# renders the HTML report to PNG uses; that test skips, saying so, when chromium is absent
# (apt-get install -y --no-install-recommends chromium).
APT_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config ffmpeg \
	dcmtk python3-pydicom python3-pil python3-numpy orthanc orthanc-dicomweb
DEMO_CLIP ?= Samples/full_01.mp4
# Video exports carry no calibration: the sample's spacing, as in Samples/full_01.labels.json.
DEMO_MM_PER_PIXEL ?= 0.1
RELEASE_BIN := .build/release/mskcine

.PHONY: deps build release test demo bench fuzz samples samples-check docs-stills slurm-check validate sweep devset devscore clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(SWIFT) build -c release --product mskcine
	$(RELEASE_BIN) regress Samples
	scripts/sweep.sh $(RELEASE_BIN) Samples

demo: release
	$(RELEASE_BIN) analyze $(DEMO_CLIP) --mm-per-pixel $(DEMO_MM_PER_PIXEL) --out demo-out
	@echo "make demo: result document, per-frame CSV, HTML report and annotated clip in demo-out/"

# The committed labelled sample set, regenerated from its seeds (same binary, same bytes).
samples: release
	$(RELEASE_BIN) synth Samples --samples

# Regenerates the sample set into a temporary folder and compares it byte for byte with Samples/
# (too slow for every test run: about a minute of rendering and encoding).
samples-check: release
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(RELEASE_BIN) synth "$$tmp" --samples || exit 1; \
	status=0; \
	for f in "$$tmp"/*; do n=$${f##*/}; cmp "$$f" "Samples/$$n" || status=1; done; \
	for f in Samples/*; do n=$${f##*/}; [ "$$n" = README.md ] || [ "$$n" = thresholds.json ] || [ -e "$$tmp/$$n" ] || { echo "Samples/$$n is not written by make samples"; status=1; }; done; \
	if [ $$status = 0 ]; then echo "samples-check: Samples/ matches what make samples writes"; else echo "samples-check: Samples/ differs; run make samples and commit"; fi; \
	exit $$status

# PNG stills of every case at rest and at peak contraction, for Docs/simulated-vs-real.md, and one
# frame of a real clip (../shared/data, not committed to this repository) beside them.
REAL_CLIP ?= ../shared/data/real-video/p6_isometric_max_01_push_01.mp4
REAL_CROP := 726:578:210:43
docs-stills: build
	for p in full_01 subtle_01 partial_01 none_01; do .build/debug/mskcine synth Docs/images --preset $$p --stills || exit 1; done
	ffmpeg -v error -y -i $(REAL_CLIP) -vf "select=eq(n\,100),crop=$(REAL_CROP),format=gray" -frames:v 1 Docs/images/real_p6_isometric_max.png

bench: release
	$(SWIFT) build -c release --product MSKBench
	.build/release/MSKBench

# Fuzzing with libFuzzer (swiftc -sanitize=fuzzer,address). Each library a target needs is built as a
# static module first (MSKImage, MSKFiles, MSKLabels), then each entry point is linked with them:
#   dicom-fuzz    the DICOM parser (Fuzz/DICOMFuzz.swift compiled into MSKDICOM's own module), seeded from the test fixtures, FUZZ_SECONDS=600
#                 by default (the issue asks for 10 minutes);
#   labels-fuzz   the labels document <clip>.labels.json (Fuzz/LabelsFuzz.swift), seeded from Samples/;
#   manifest-fuzz the batch manifest CSV (Fuzz/ManifestFuzz.swift with MSKBatch/ManifestTable.swift),
#                 seeded from Fuzz/seeds/*.csv; FUZZ_TEXT_SECONDS=120 each by default.
# Crashes are written to .build/fuzz/ as crash-* files.
FUZZ_SECONDS ?= 600
FUZZ_TEXT_SECONDS ?= 120
# Largest single allocation allowed: inputs are at most 128 KiB and inflation is capped at 16 MiB,
# so anything near this limit is an allocation from an untrusted length.
FUZZ_MALLOC_MB ?= 128
FUZZ_DIR := .build/fuzz
SWIFTC ?= $(dir $(SWIFT))swiftc
FUZZ_FLAGS := -swift-version 6 -parse-as-library -O -g -sanitize=fuzzer,address
FUZZ_RUN := -rss_limit_mb=2048 -malloc_limit_mb=$(FUZZ_MALLOC_MB) -timeout=10 -print_final_stats=1

# $(call fuzz_module,NAME,DEPENDENCIES): Sources/NAME as $(FUZZ_DIR)/libNAME.a and its .swiftmodule.
define fuzz_module
$(SWIFTC) $(FUZZ_FLAGS) -I $(FUZZ_DIR) -emit-library -static -emit-module -module-name $(1) \
  -emit-module-path $(FUZZ_DIR)/$(1).swiftmodule Sources/$(1)/*.swift -o $(FUZZ_DIR)/lib$(1).a
endef

fuzz: deps
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/labels-corpus $(FUZZ_DIR)/manifest-corpus
	$(call fuzz_module,MSKImage)
	$(call fuzz_module,MSKFiles)
	$(call fuzz_module,MSKLabels)
	$(SWIFTC) $(FUZZ_FLAGS) -I $(FUZZ_DIR) -L $(FUZZ_DIR) -module-name MSKDICOM Sources/MSKDICOM/*.swift Fuzz/DICOMFuzz.swift \
	  -lMSKFiles -lMSKImage -o $(FUZZ_DIR)/dicom-fuzz
	$(SWIFTC) $(FUZZ_FLAGS) -I $(FUZZ_DIR) -L $(FUZZ_DIR) -module-name LabelsFuzz Fuzz/LabelsFuzz.swift \
	  -lMSKLabels -lMSKImage -o $(FUZZ_DIR)/labels-fuzz
	$(SWIFTC) $(FUZZ_FLAGS) -module-name ManifestFuzz Fuzz/ManifestFuzz.swift Sources/MSKBatch/ManifestTable.swift \
	  -o $(FUZZ_DIR)/manifest-fuzz
	[ -n "$$(ls -A $(FUZZ_DIR)/corpus)" ] || Fuzz/make_seeds.sh $(FUZZ_DIR)/corpus
	[ -n "$$(ls -A $(FUZZ_DIR)/labels-corpus)" ] || cp Samples/*.labels.json $(FUZZ_DIR)/labels-corpus/
	[ -n "$$(ls -A $(FUZZ_DIR)/manifest-corpus)" ] || cp Fuzz/seeds/*.csv $(FUZZ_DIR)/manifest-corpus/
	cd $(FUZZ_DIR) && ./labels-fuzz labels-corpus -max_total_time=$(FUZZ_TEXT_SECONDS) -max_len=65536 $(FUZZ_RUN)
	cd $(FUZZ_DIR) && ./manifest-fuzz manifest-corpus -max_total_time=$(FUZZ_TEXT_SECONDS) -max_len=16384 $(FUZZ_RUN)
	cd $(FUZZ_DIR) && ./dicom-fuzz corpus -max_total_time=$(FUZZ_SECONDS) -max_len=131072 $(FUZZ_RUN)

# A one-node Slurm cluster on loopback runs `mskcine batch` over Samples/ as a 3-task --array job,
# merges the shard databases and compares them with an unsharded run (Docs/batch.md). Installs
# Debian's slurm-wlm and munge when missing; needs root or sudo. Not part of `make test`.
slurm-check: release
	scripts/slurm-check.sh $(SLURM_ARCHIVE)

# Scores the engine on data it was never tuned on (Docs/validation.md): real healthy clips, tears
# drawn into real clips with their controls, and a fresh randomised simulator set. The generated
# sets use validation seeds (never tune on them) and are cached in .build-validate/ (git-ignored).
validate: release
	scripts/validate.sh $(RELEASE_BIN)
	scripts/validate-geometry.sh $(RELEASE_BIN)

# Every output (result document, CSV, HTML report, overlay clip) on every clip of Samples/ and
# ../shared/data: each run ends ok, or refused with a clear error and nothing left behind, never in
# a crash (scripts/sweep.sh; SWEEP_DIRS to name other folders).
SWEEP_DIRS ?= Samples ../shared/data
sweep: release
	scripts/sweep.sh $(RELEASE_BIN) $(SWEEP_DIRS)

# A small development set (dev seeds, for tuning) into $(DEVSET_OUT).
DEVSET_OUT ?= /work/valdata/dev
devset: release
	scripts/devset.sh $(RELEASE_BIN) $(DEVSET_OUT)

# Scores the engine on that development set (validate's tables; PARAMETERS=FILE.json to sweep).
devscore: release
	scripts/devscore.sh $(RELEASE_BIN) $(DEVSET_OUT)

clean:
	rm -rf .build
