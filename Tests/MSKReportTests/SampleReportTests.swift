import Foundation
import MSKAnalysis
import MSKImage
import MSKReader
import MSKReport
import Testing

@Suite("Reports on Samples/: classification, result document, CSV, overlay clip, HTML")
struct SampleReportTests {
    @Test("every sample gets its labelled classification; its document has the spec's fields and types; its CSV one row per frame",
          arguments: Fixtures.labelFiles)
    func sample(labels: String) throws {
        let (row, analysis) = try Fixtures.analysis(labels: labels)
        #expect(row.found == row.labelled, "\(row.clip): labelled \(row.labelled), found \(row.found): \(analysis.finding.evidence)")
        let f = analysis.finding
        #expect(f.suspectedFullThicknessTear == (f.classification == .fullThicknessTear))
        #expect(!f.evidence.isEmpty && !f.rules.isEmpty)
        switch f.classification {
        case .fullThicknessTear: #expect(f.peetronsGrade == 3)
        case .partialTear: #expect(f.peetronsGrade == 2)
        case .noTear: #expect(f.peetronsGrade == 0)
        case .indeterminate: #expect(f.peetronsGrade == nil)
        }

        // The result document against the spec's example: every field, with its JSON type.
        let text = ClipReporter.jsonText(analysis, sha256: "0", engineVersion: "test")
        let document = try JSON.parse(text)
        let mismatches = SpecExample.mismatches(document, against: try JSON.parse(SpecExample.json))
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(document["schema"]?.string == ClipAnalysis.schema)
        #expect(document["frames"]?.array?.count == analysis.frames.count)
        #expect(document["source"]?["frameCount"]?.number == Double(analysis.frames.count))
        #expect(document["finding"]?["classification"]?.string == row.labelled)

        // Edges and fascicle geometry per frame: the edges are the overlay's points (one source of
        // truth), at most 8 px apart, in frame pixels inside the region's columns.
        let region = analysis.imagingRegion
        var framesWithFaces = 0
        func near(_ v: JSON?, _ p: SIMD2<Double>) -> Bool {
            guard let a = v?.array, a.count == 2, let x = a[0].number, let y = a[1].number else { return false }
            return abs(x - p.x) < 0.01 && abs(y - p.y) < 0.01
        }
        for (t, frame) in (document["frames"]?.array ?? []).enumerated() {
            let o = analysis.overlays[t]
            // The followed defect: its path point and stump faces where the overlay draws them, in
            // frame pixels; absent where the overlay draws none.
            if let c = o.defectCentre(region: region) { #expect(near(frame["defectCentrePx"], c)) } else { #expect(frame["defectCentrePx"] == nil) }
            if let f = o.stumpFaces(region: region) {
                framesWithFaces += 1
                let faces = try #require(frame["stumpFacesPx"]?.array)
                #expect(faces.count == 2 && near(faces[0], f.left) && near(faces[1], f.right))
                #expect(f.left.x < f.right.x && region.contains(x: Int(f.left.x), y: Int(f.left.y)))
            } else {
                #expect(frame["stumpFacesPx"] == nil)
            }
            guard let edge = o.superficialEdge(region: region) else { #expect(frame["superficialEdgePx"]?.array == nil); continue }
            let points = try #require(frame["superficialEdgePx"]?.array)
            #expect(points.count == edge.count)
            for (p, q) in zip(points, edge) { #expect(near(p, q)) }
            #expect(zip(edge, edge.dropFirst()).allSatisfy { $1.x - $0.x <= 8 && $1.x > $0.x })
            #expect(edge.first?.x == Double(region.x) && edge.last?.x == Double(region.maxX - 1))
            #expect(frame["deepEdgePx"]?.array?.count == o.deepEdge(region: region)?.count)
            if let penn = analysis.frames[t].pennationAngleDeg, let fasc = analysis.frames[t].fascicleAngleDeg,
               let deep = analysis.frames[t].deepAponeurosisAngleDeg {
                #expect(abs(penn - (fasc - deep)) < 1e-9)
                #expect(frame["pennationAngleDeg"]?.number != nil && frame["fascicleLengthMm"]?.number != nil)
            }
        }

        // A tear sample's defect is followed, and its faces reported, in most of its frames.
        if row.labelled != "no-tear" { #expect(2 * framesWithFaces >= analysis.frames.count, "\(framesWithFaces) of \(analysis.frames.count)") }

        // CSV: a header, then one row per frame with as many cells as the header.
        let lines = CSVTable.make(analysis).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == analysis.frames.count + 1)
        let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
        #expect(header == CSVTable.columns(unit: .mm))
        #expect(header.contains("gapWidthMm") && header.contains("timeS"))
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(cells.count == header.count)
            #expect(Int(cells[0]) == analysis.frames[i].index)
        }
    }

    @Test("the overlay clip has the input's frame count and frame rate; the report is self-contained",
          arguments: ["full_01.labels.json", "partial_02.labels.json"])
    func overlayAndReport(labels: String) throws {
        let (_, analysis) = try Fixtures.analysis(labels: labels)
        let dir = try Fixtures.temporaryDirectory("report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outputs = ReportOutputs.all(in: dir.path, clip: analysis.info.path)
        var calls = 0
        try ClipReporter.write(analysis, to: outputs, sha256: nil, engineVersion: "test") { _ in calls += 1 }
        #expect(calls == analysis.frames.count)
        // Only the four outputs, no temporary file left.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == [outputs.json, outputs.csv, outputs.overlay, outputs.html].map { URL(fileURLWithPath: $0!).lastPathComponent }.sorted())

        let input = try openClip(path: analysis.info.path)
        let inputCount = try input.countFrames().frameCount
        let overlay = try openClip(path: outputs.overlay!)
        #expect(overlay.info.width >= analysis.info.width && overlay.info.height >= analysis.info.height)
        if let a = input.info.fps, let b = overlay.info.fps { #expect(abs(a - b) < 1e-3) }
        #expect(try overlay.countFrames().frameCount == inputCount)

        let html = try String(contentsOfFile: outputs.html!, encoding: .utf8)
        try HTMLChecks.selfContained(html)
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 2, "rest and peak key frames")
        #expect(html.components(separatedBy: "<svg").count - 1 == 8, "gap, separation, thickness, pennation, fascicle length, contraction, tissue motion, opening")
        #expect(html.contains("Pennation angle") && html.contains("Fascicle length") && html.contains("Opening across the defect"))
        // The finding and its evidence come before the frames and plots.
        let finding = try #require(html.range(of: analysis.finding.classification.rawValue))
        let frames = try #require(html.range(of: "Key frames"))
        #expect(finding.lowerBound < frames.lowerBound)
        for e in analysis.finding.evidence.prefix(2) {
            let escaped = e.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;").replacingOccurrences(of: "\"", with: "&quot;")
            #expect(html.contains(escaped))
        }
        #expect(html.contains("@page") && html.contains("A4"))
    }

    @Test("an unwritable output: a typed error naming the file, nothing left behind")
    func unwritable() throws {
        let (_, analysis) = try Fixtures.analysis(labels: "full_01.labels.json")
        let dir = try Fixtures.temporaryDirectory("report-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no/such/folder")
        let outputs = ReportOutputs(html: missing.appendingPathComponent("r.html").path, overlay: dir.appendingPathComponent("o.mp4").path)
        #expect(throws: ReportError.self) { try ClipReporter.write(analysis, to: outputs, sha256: nil, engineVersion: "test") }
        // The overlay was whole before the report failed; no temporary file remains.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!left.contains { $0.contains(".partial") }, "\(left)")
        do {
            try ClipReporter.write(analysis, to: ReportOutputs(csv: missing.appendingPathComponent("f.csv").path), sha256: nil, engineVersion: "t")
            Issue.record("writing into a missing folder did not fail")
        } catch {
            #expect(error.description.contains("f.csv") && !error.description.contains("\n"))
        }
    }

    @Test("the report renders in headless Chromium at A4 width and the page is not blank",
          .enabled(if: Fixtures.chromium != nil, "Debian package chromium is not installed (apt-get install -y --no-install-recommends chromium): the report is not rendered"))
    func renders() throws {
        let chromium = try #require(Fixtures.chromium)
        let (_, analysis) = try Fixtures.analysis(labels: "full_01.labels.json")
        let dir = try Fixtures.temporaryDirectory("render")
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("report.html").path
        let png = dir.appendingPathComponent("report.png").path
        try ClipReporter.write(analysis, to: ReportOutputs(html: html), sha256: nil, engineVersion: "test")
        let run = try Fixtures.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                              "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                                              "--screenshot=\(png)", "--window-size=794,1123", "file://\(html)"])
        #expect(run.status == 0, "\(run.stderr.suffix(400))")
        let source = try openClip(path: png)
        let frame = try #require(try source.nextFrame())
        #expect(frame.grey.width == 794 && frame.grey.height == 1123)
        // Not blank: a good share of the page is not background white, and the page has contrast.
        let pixels = frame.grey.pixels
        let inked = pixels.filter { $0 < 200 }.count
        #expect(Double(inked) / Double(pixels.count) > 0.05, "\(inked) inked pixels")
        let mean = pixels.reduce(0.0) { $0 + Double($1) } / Double(pixels.count)
        let sd = (pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(pixels.count)).squareRoot()
        #expect(sd > 30, "grey SD \(sd)")
        // The page's top has the finding's red box (full-thickness tear): reddish pixels in the RGB.
        if let rgb = frame.rgb {
            var red = 0
            for i in stride(from: 0, to: 3 * rgb.width * 300, by: 3) where rgb.pixels[i] > 150 && rgb.pixels[i + 1] < 90 && rgb.pixels[i + 2] < 90 { red += 1 }
            #expect(red > 500, "\(red) red pixels at the top")
        }
        if let keep = ProcessInfo.processInfo.environment["MSKCINE_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png, toPath: keep)
        }
    }
}

enum HTMLChecks {
    struct NotSelfContained: Error, CustomStringConvertible { let description: String }

    /// Fails when the page would load anything from elsewhere: scripts, stylesheets, fonts,
    /// images or frames by URL (any http(s) or protocol-relative src/href/url()).
    static func selfContained(_ html: String) throws {
        let lower = html.lowercased()
        for bad in ["<script", "<link", "<iframe", "@import", "src=\"http", "src='http", "href=\"http", "href='http",
                    "url(http", "url(\"http", "url('http", "src=\"//", "href=\"//", "@font-face"] where lower.contains(bad) {
            throw NotSelfContained(description: "the report contains '\(bad)'")
        }
    }
}
