# MSKCine. `make demo` and `make test` each do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build and the tests need: FFmpeg 5.1 headers and libraries, pkg-config,
# and the ffmpeg/ffprobe command line the tests compare the reader with; pydicom (with Pillow and
# numpy, for /usr/bin/python3) and dcmtk's dcmdump, the references the DICOM tests compare with.
APT_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config ffmpeg \
	dcmtk python3-pydicom python3-pil python3-numpy
DEMO_CLIP ?= Samples/full_01.mp4
RELEASE_BIN := .build/release/mskcine

.PHONY: deps build release test demo bench fuzz clean

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

demo: release
	$(RELEASE_BIN) probe $(DEMO_CLIP) --count

bench: release
	$(SWIFT) build -c release --product MSKBench
	.build/release/MSKBench

# Fuzzing the DICOM parser with libFuzzer (swiftc -sanitize=fuzzer,address): MSKDICOM's sources and
# Fuzz/DICOMFuzz.swift in one module, seeded from the test fixtures. FUZZ_SECONDS=600 by default
# (the issue asks for 10 minutes); crashes are written to .build/fuzz/ as crash-* files.
FUZZ_SECONDS ?= 600
FUZZ_DIR := .build/fuzz
SWIFTC ?= $(dir $(SWIFT))swiftc

fuzz: deps
	mkdir -p $(FUZZ_DIR)/corpus
	$(SWIFTC) -swift-version 6 -parse-as-library -O -g -sanitize=fuzzer,address \
	  Sources/MSKDICOM/*.swift Fuzz/DICOMFuzz.swift -o $(FUZZ_DIR)/dicom-fuzz
	[ -n "$$(ls -A $(FUZZ_DIR)/corpus)" ] || Fuzz/make_seeds.sh $(FUZZ_DIR)/corpus
	cd $(FUZZ_DIR) && ./dicom-fuzz corpus -max_total_time=$(FUZZ_SECONDS) -max_len=131072 \
	  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1

clean:
	rm -rf .build
