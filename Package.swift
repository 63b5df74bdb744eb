// swift-tools-version: 6.0
// MSKCine: dynamic musculoskeletal ultrasound cine analysis.
// Layers (data flows one way): CFFmpeg -> MSKImage -> MSKReader -> ... -> mskcine (CLI).
import PackageDescription

let package = Package(
    name: "MSKCine",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MSKImage", targets: ["MSKImage"]),
        .library(name: "MSKDICOM", targets: ["MSKDICOM"]),
        .library(name: "MSKReader", targets: ["MSKReader"]),
        .library(name: "MSKWriter", targets: ["MSKWriter"]),
        .library(name: "MSKImaging", targets: ["MSKImaging"]),
        .library(name: "MSKAnalysis", targets: ["MSKAnalysis"]),
        .library(name: "MSKReport", targets: ["MSKReport"]),
        .library(name: "MSKLabels", targets: ["MSKLabels"]),
        .library(name: "MSKSimulator", targets: ["MSKSimulator"]),
        .library(name: "MSKSynth", targets: ["MSKSynth"]),
        .library(name: "MSKStudyDB", targets: ["MSKStudyDB"]),
        .library(name: "MSKBatch", targets: ["MSKBatch"]),
        .executable(name: "mskcine", targets: ["mskcine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C at the edge: FFmpeg 5.1 from the system (Debian's -dev packages).
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev", "pkg-config"])]
        ),
        // Image value types (grey and RGB, contiguous storage). Pure Swift, no dependencies.
        .target(name: "MSKImage"),
        // DICOM Part 10 parser (pure Swift): data sets, pixel module, calibration, native/RLE frames.
        .target(name: "MSKDICOM", dependencies: ["MSKImage"]),
        // Frame sources: video files through FFmpeg, DICOM through MSKDICOM (compressed DICOM
        // frames through libavcodec). Nothing above this sees a C pointer.
        .target(name: "MSKReader", dependencies: ["CFFmpeg", "MSKImage", "MSKDICOM"]),
        // Video (H.264, MPEG-4, MJPEG, FFV1) and PNG writing through libavcodec/libavformat,
        // written to a temporary name and renamed when whole.
        .target(name: "MSKWriter", dependencies: ["CFFmpeg", "MSKImage", "MSKReader"]),
        // The imaging core: filters, imaging region, aponeuroses, defect, speckle tracking. Pure Swift.
        .target(name: "MSKImaging", dependencies: ["MSKImage"]),
        // The labels document beside a clip (`<clip>.labels.json`): Codable model and validation.
        .target(name: "MSKLabels", dependencies: ["MSKImage"]),
        // Labelled B-mode cine simulator (pure Swift): frames plus ground truth from the model.
        .target(name: "MSKSimulator", dependencies: ["MSKImage", "MSKLabels"]),
        // Simulated clips to files: simulator frames through the writer (video) or MSKDICOM (DICOM), labels beside each clip.
        .target(name: "MSKSynth", dependencies: ["MSKSimulator", "MSKWriter", "MSKReader", "MSKDICOM", "MSKLabels", "MSKImage"]),
        // Analysis: per-frame measurements, tracking and fusion, contraction, per-clip summary.
        .target(name: "MSKAnalysis", dependencies: ["MSKImage", "MSKImaging", "MSKReader", "MSKLabels"]),
        // Reports: per-frame CSV, the self-contained HTML report, the annotated overlay clip (a second
        // decoding pass), and a small pure-Swift RGB drawing canvas.
        .target(name: "MSKReport", dependencies: ["MSKAnalysis", "MSKWriter", "MSKReader", "MSKImage", "MSKImaging"]),
        // The study database (SQLite through GRDB): clips, analyses, per-frame measurements,
        // failures; versioned schema with migrations; merge, CSV export, atrophy trends.
        .target(name: "MSKStudyDB", dependencies: ["MSKAnalysis", .product(name: "GRDB", package: "GRDB.swift")]),
        // Batch analysis of archives: finds clips by content, shards, analyses in parallel, resumes.
        .target(name: "MSKBatch", dependencies: ["MSKStudyDB", "MSKAnalysis", "MSKReader", "MSKLabels"]),
        // Helpers shared by the test targets (running the built binary, seeded random bytes).
        .target(name: "MSKTestSupport"),
        // The command line: parses arguments, calls the libraries, prints.
        .executableTarget(
            name: "mskcine",
            dependencies: [
                "MSKReader",
                "MSKAnalysis",
                "MSKReport",
                "MSKDICOM",
                "MSKSynth",
                "MSKStudyDB",
                "MSKBatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks for `make bench` (prints figures; never a timed unit test).
        .executableTarget(name: "MSKBench", dependencies: ["MSKReader", "MSKSimulator", "MSKWriter", "MSKSynth", "MSKBatch", "MSKStudyDB"]),
        .testTarget(name: "MSKReaderTests", dependencies: ["MSKTestSupport", "MSKReader"]),
        .testTarget(name: "MSKDICOMTests", dependencies: ["MSKTestSupport", "MSKDICOM", "MSKReader", "mskcine"], exclude: ["Scripts"]),
        .testTarget(name: "MSKWriterTests", dependencies: ["MSKWriter", "MSKReader", "MSKImage"]),
        .testTarget(name: "MSKLabelsTests", dependencies: ["MSKLabels"]),
        .testTarget(name: "MSKSimulatorTests", dependencies: ["MSKSimulator", "MSKLabels", "MSKImage"]),
        .testTarget(name: "MSKAnalysisTests", dependencies: ["MSKAnalysis", "MSKImaging", "MSKSimulator", "MSKLabels", "MSKImage", "MSKReader"]),
        .testTarget(name: "MSKSynthTests", dependencies: ["MSKSynth", "MSKSimulator", "MSKWriter", "MSKReader", "MSKLabels"]),
        .testTarget(name: "MSKBatchTests", dependencies: ["MSKTestSupport", "MSKBatch", "MSKStudyDB", "mskcine", "MSKAnalysis", "MSKReader"]),
        .testTarget(name: "MSKCineTests", dependencies: ["MSKTestSupport", "mskcine", "MSKReader", "MSKAnalysis"]),
        .testTarget(name: "MSKReportTests", dependencies: ["MSKTestSupport", "MSKReport", "MSKAnalysis", "MSKReader", "MSKImage", "MSKImaging"]),
    ],
    swiftLanguageModes: [.v6]
)
