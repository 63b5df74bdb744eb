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
        .library(name: "MSKFiles", targets: ["MSKFiles"]),
        .library(name: "MSKFFmpeg", targets: ["MSKFFmpeg"]),
        .library(name: "MSKReader", targets: ["MSKReader"]),
        .library(name: "MSKWriter", targets: ["MSKWriter"]),
        .library(name: "MSKImaging", targets: ["MSKImaging"]),
        .library(name: "MSKAnalysis", targets: ["MSKAnalysis"]),
        .library(name: "MSKReport", targets: ["MSKReport"]),
        .library(name: "MSKEvaluation", targets: ["MSKEvaluation"]),
        .library(name: "MSKLabels", targets: ["MSKLabels"]),
        .library(name: "MSKSimulator", targets: ["MSKSimulator"]),
        .library(name: "MSKSynth", targets: ["MSKSynth"]),
        .library(name: "MSKStudyDB", targets: ["MSKStudyDB"]),
        .library(name: "MSKBatch", targets: ["MSKBatch"]),
        .library(name: "MSKPACS", targets: ["MSKPACS"]),
        .executable(name: "mskcine", targets: ["mskcine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C at the edge: FFmpeg 5.1 from the system (Debian's -dev packages).
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev", "pkg-config"])]
        ),
        // FFmpeg plumbing the reader and the writer share: typed FFmpeg errors, status codes, the
        // log level, the packet owner. Nothing above the reader and writer sees it.
        .target(name: "MSKFFmpeg", dependencies: ["CFFmpeg"]),
        // Files every writer shares (pure Swift): temporary names renamed into place when whole,
        // their clean-up on SIGINT/SIGTERM and after a killed run, and the output-path clash check.
        .target(name: "MSKFiles"),
        // Image value types (grey and RGB, contiguous storage). Pure Swift, no dependencies.
        .target(name: "MSKImage"),
        // DICOM Part 10 parser (pure Swift): data sets, pixel module, calibration, native/RLE frames.
        .target(name: "MSKDICOM", dependencies: ["MSKImage", "MSKFiles"]),
        // Frame sources: video files through FFmpeg, DICOM through MSKDICOM (compressed DICOM
        // frames through libavcodec). Nothing above this sees a C pointer.
        .target(name: "MSKReader", dependencies: ["CFFmpeg", "MSKFFmpeg", "MSKImage", "MSKDICOM"]),
        // Video (H.264, MPEG-4, MJPEG, FFV1) and PNG writing through libavcodec/libavformat,
        // written to a temporary name and renamed when whole. Does not depend on the reader.
        .target(name: "MSKWriter", dependencies: ["CFFmpeg", "MSKFFmpeg", "MSKFiles", "MSKImage"]),
        // The imaging core: filters, imaging region, aponeuroses, defect, speckle tracking. Pure Swift.
        .target(name: "MSKImaging", dependencies: ["MSKImage"]),
        // The labels document beside a clip (`<clip>.labels.json`): Codable model and validation.
        .target(name: "MSKLabels", dependencies: ["MSKImage"]),
        // Labelled B-mode cine simulator (pure Swift): frames plus ground truth from the model.
        .target(name: "MSKSimulator", dependencies: ["MSKImage", "MSKLabels"]),
        // Simulated clips to files: simulator frames through the writer (video) or MSKDICOM (DICOM), labels beside each clip.
        .target(name: "MSKSynth", dependencies: ["MSKSimulator", "MSKWriter", "MSKReader", "MSKFiles", "MSKDICOM", "MSKLabels", "MSKImage"]),
        // Analysis: per-frame measurements, tracking and fusion, contraction, per-clip summary.
        .target(name: "MSKAnalysis", dependencies: ["MSKImage", "MSKImaging", "MSKReader", "MSKLabels"]),
        // Evaluation against labels (`mskcine regress`): opens labelled clips and still images, reads
        // their labels (sparse, pixel labels, observers, thickness rules) and compares the analysis.
        .target(name: "MSKEvaluation", dependencies: ["MSKAnalysis", "MSKImaging", "MSKReader", "MSKLabels", "MSKImage"]),
        // Reports: per-frame CSV, the self-contained HTML report, the annotated overlay clip (a second
        // decoding pass), a small pure-Swift RGB drawing canvas, decoded frames as PGM/PPM files, and
        // the trend page of the study database.
        .target(name: "MSKReport", dependencies: ["MSKAnalysis", "MSKWriter", "MSKFiles", "MSKReader", "MSKImage", "MSKImaging", "MSKStudyDB"]),
        // The study database (SQLite through GRDB): clips, analyses, per-frame measurements,
        // failures; versioned schema with migrations; merge, CSV export, atrophy trends.
        .target(name: "MSKStudyDB", dependencies: ["MSKAnalysis", .product(name: "GRDB", package: "GRDB.swift")]),
        // Batch analysis of archives: finds clips by content, shards, analyses in parallel, resumes.
        .target(name: "MSKBatch", dependencies: ["MSKStudyDB", "MSKAnalysis", "MSKReader", "MSKLabels", "MSKImaging", "MSKFiles"]),
        // DICOMweb (QIDO-RS search, WADO-RS retrieve streamed to a content-addressed cache, STOW-RS
        // store) through AsyncHTTPClient, the batch fed from a PACS, and findings stored back as SR.
        .target(name: "MSKPACS", dependencies: ["MSKBatch", "MSKStudyDB", "MSKAnalysis", "MSKImaging", "MSKDICOM", "MSKReader",
                                                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                .product(name: "NIOCore", package: "swift-nio"),
                                                .product(name: "NIOHTTP1", package: "swift-nio"),
                                                .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        // Helpers shared by the test targets (running the built binary, seeded random bytes).
        .target(name: "MSKTestSupport"),
        // The command line: parses arguments, calls the libraries, prints.
        .executableTarget(
            name: "mskcine",
            dependencies: [
                "MSKFFmpeg",
                "MSKFiles",
                "MSKImage",
                "MSKImaging",
                "MSKReader",
                "MSKWriter",
                "MSKAnalysis",
                "MSKReport",
                "MSKEvaluation",
                "MSKDICOM",
                "MSKSimulator",
                "MSKSynth",
                "MSKStudyDB",
                "MSKBatch",
                "MSKPACS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks for `make bench` (prints figures; never a timed unit test).
        .executableTarget(name: "MSKBench", dependencies: ["MSKImage", "MSKReader", "MSKSimulator", "MSKWriter", "MSKSynth", "MSKBatch", "MSKStudyDB"]),
        .testTarget(name: "MSKReaderTests", dependencies: ["MSKTestSupport", "MSKReader"]),
        .testTarget(name: "MSKDICOMTests", dependencies: ["MSKTestSupport", "MSKDICOM", "MSKImage", "MSKLabels", "MSKReader", "MSKSimulator", "MSKSynth", "mskcine"], exclude: ["Scripts"]),
        .testTarget(name: "MSKWriterTests", dependencies: ["MSKWriter", "MSKFiles", "MSKReader", "MSKImage"]),
        .testTarget(name: "MSKLabelsTests", dependencies: ["MSKLabels", "MSKImage"]),
        .testTarget(name: "MSKSimulatorTests", dependencies: ["MSKSimulator", "MSKLabels", "MSKImage"]),
        .testTarget(name: "MSKAnalysisTests", dependencies: ["MSKAnalysis", "MSKImaging", "MSKSimulator", "MSKLabels", "MSKImage", "MSKReader"]),
        .testTarget(name: "MSKSynthTests", dependencies: ["MSKSynth", "MSKSimulator", "MSKWriter", "MSKReader", "MSKLabels"]),
        .testTarget(name: "MSKBatchTests", dependencies: ["MSKTestSupport", "MSKBatch", "MSKStudyDB", "mskcine", "MSKAnalysis", "MSKReader", "MSKReport", "MSKSimulator", "MSKSynth"]),
        .testTarget(name: "MSKCineTests", dependencies: ["MSKTestSupport", "mskcine", "MSKReader", "MSKAnalysis", "MSKDICOM", "MSKImage", "MSKImaging", "MSKWriter", "MSKReport", "MSKFiles", "MSKLabels", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "MSKEvaluationTests", dependencies: ["MSKEvaluation", "MSKAnalysis", "MSKImaging", "MSKLabels", "MSKImage", "MSKReader"]),
        .testTarget(name: "MSKPACSTests", dependencies: ["MSKTestSupport", "MSKPACS", "MSKBatch", "MSKStudyDB", "MSKDICOM", "MSKSynth", "MSKSimulator", "MSKAnalysis", "mskcine",
                                                         .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(name: "MSKReportTests", dependencies: ["MSKTestSupport", "MSKReport", "MSKEvaluation", "MSKAnalysis", "MSKReader", "MSKImage", "MSKImaging"]),
    ],
    swiftLanguageModes: [.v6]
)
