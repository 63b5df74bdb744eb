# MSKCine. `make demo` and `make test` each do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build and the tests need: FFmpeg 5.1 headers and libraries, pkg-config,
# and the ffmpeg/ffprobe command line the tests compare the reader with.
APT_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config ffmpeg
DEMO_CLIP ?= Samples/full_01.mp4
RELEASE_BIN := .build/release/mskcine

.PHONY: deps build release test demo bench samples samples-check docs-stills clean

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
	for f in Samples/*; do n=$${f##*/}; [ "$$n" = README.md ] || [ -e "$$tmp/$$n" ] || { echo "Samples/$$n is not written by make samples"; status=1; }; done; \
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

clean:
	rm -rf .build
