import Foundation
import MSKAnalysis
import MSKImage
import MSKWriter

enum HTML {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// The self-contained HTML report of one clip: one file, no scripts, no fonts or images from
/// elsewhere (key frames are inline PNGs, plots inline SVG), legible on screen and printed on A4.
public enum HTMLReport {
    /// The key frames shown: at rest (the least contracted frame) and at peak contraction (the
    /// most contracted), by position in the clip. Frames where the muscle was detected are
    /// preferred. Without a contraction, one frame from the middle of the clip and no peak.
    public static func keyFrames(_ a: ClipAnalysis) -> (rest: Int?, peak: Int?) {
        let n = a.frames.count
        guard n > 0 else { return (nil, nil) }
        guard a.contractionSeen else { return (n / 2, nil) }
        let detected = a.frames.indices.filter { a.frames[$0].muscleDetected }
        let pool = detected.isEmpty ? Array(a.frames.indices) : detected
        let rest = pool.min { a.frames[$0].contraction < a.frames[$1].contraction }
        let peak = pool.max { a.frames[$0].contraction < a.frames[$1].contraction }
        return (rest, peak)
    }

    /// One sentence on the methods' limits, shown in every report.
    public static let limits = "Measurements come from automatic detection and speckle tracking on one 2-D long-axis B-mode clip: they depend on probe position, pressure, image quality and calibration, have been validated for tears on simulated clips and on tears drawn into real healthy clips only (no labelled real tears exist; figures in the project's Docs/validation.md), cannot grade a strain without a visible fibre discontinuity (Peetrons grade 1), and support, not replace, a sonographer's reading."

    /// The report. `keyFrameImages` are the annotated key frames (imaging region) by position.
    public static func make(_ a: ClipAnalysis, keyFrameImages: [Int: RGBImage], rulerImage: RGBImage? = nil, sha256: String?, engineVersion: String) throws(ReportError) -> String {
        let f = a.finding
        let s = a.summary
        let name = URL(fileURLWithPath: a.info.path).lastPathComponent
        func len(_ l: Length?) -> String { l.map { String(format: "%.1f %@", $0.value, $0.unit.rawValue) } ?? "n/a" }
        func signed(_ l: Length?) -> String { l.map { String(format: "%+.1f %@", $0.value, $0.unit.rawValue) } ?? "n/a" }
        let title: String
        switch f.classification {
        case .fullThicknessTear: title = "Suspected full-thickness tear"
        case .partialTear: title = "Partial tear"
        case .noTear: title = "No tear seen"
        case .indeterminate: title = "Indeterminate: the clip cannot support a call"
        }

        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>MSKCine report: \(HTML.escape(name))</title>\n<style>\n\(css)\n</style>\n</head>\n<body>\n"
        h += "<header><h1>MSKCine report <span class=\"clip\">\(HTML.escape(name))</span></h1>"
        h += "<p class=\"meta\">engine mskcine \(HTML.escape(engineVersion)) &middot; result schema \(ClipAnalysis.schema)</p></header>\n"

        // Finding and evidence first.
        h += "<section class=\"finding \(f.classification.rawValue)\">\n<h2>\(HTML.escape(title))</h2>\n<p class=\"facts\">"
        h += "classification <b>\(f.classification.rawValue)</b> &middot; suspected full-thickness tear <b>\(f.suspectedFullThicknessTear ? "yes" : "no")</b>"
        h += String(format: " &middot; confidence <b>%.2f</b>", f.confidence)
        h += " &middot; Peetrons grade <b>\(f.peetronsGrade.map(String.init) ?? "n/a")</b>"
        if !f.rules.isEmpty { h += " &middot; rule \(f.rules.map(HTML.escape).joined(separator: ", "))" }
        h += "</p>\n<ul class=\"evidence\">\n"
        for e in f.evidence { h += "<li>\(HTML.escape(e))</li>\n" }
        h += "</ul>\n</section>\n"

        // Key frames.
        let (restKey, peakKey) = keyFrames(a)
        h += "<section class=\"frames\">\n<h2>Key frames</h2>\n<div class=\"row\">\n"
        for (role, key) in [("At rest", restKey), ("At peak contraction", peakKey)] {
            guard let t = key else {
                if role.hasPrefix("At peak") { h += "<figure class=\"none\"><div class=\"empty\">no contraction seen: no peak frame</div></figure>\n" }
                continue
            }
            let m = a.frames[t]
            let caption = a.contractionSeen ? role : "Middle of the clip (no contraction seen)"
            h += "<figure>"
            if let image = keyFrameImages[t] {
                let png: Data
                do { png = try PNGWriter.encode(image) } catch { throw .writer(error) }
                h += "<img alt=\"\(HTML.escape(caption)), frame \(m.index)\" width=\"\(image.width)\" height=\"\(image.height)\" src=\"data:image/png;base64,\(png.base64EncodedString())\">"
            } else {
                h += "<div class=\"empty\">frame not available</div>"
            }
            h += String(format: "<figcaption><b>%@</b>: frame %d, %.2f s, contraction %.2f; gap %@, end separation %@, thickness %@</figcaption></figure>\n",
                        HTML.escape(caption), m.index, m.timeS, m.contraction, len(m.gapWidth), len(m.endSeparation), len(m.muscleThickness))
        }
        h += "</div>\n<p class=\"legend\"><span class=\"sw\" style=\"background:\(hex(.aponeurosis))\"></span>aponeurosis inner edges "
        h += "<span class=\"sw\" style=\"background:\(hex(.defect))\"></span>defect outline "
        h += "<span class=\"sw\" style=\"background:\(hex(.face))\"></span>stump end faces "
        h += "<span class=\"sw\" style=\"background:\(hex(.caliper))\"></span>caliper between the faces (end separation) "
        h += "<span class=\"sw\" style=\"background:\(hex(.path))\"></span>the defect's path through the clip "
        h += "<span class=\"sw\" style=\"background:\(hex(.field))\"></span>at peak: the belly's displacement from rest at each tracked node, drawn twice its length (tissue pulling apart at one place is a tear's opening) "
        h += "<span class=\"sw\" style=\"background:\(hex(.fascicle))\"></span>fascicle at the reported angle</p>\n</section>\n"

        // Summary figures.
        h += "<section class=\"summary\">\n<h2>Measurements</h2>\n<table>\n<tr><th></th><th>at rest</th><th>at peak</th><th>change</th></tr>\n"
        h += "<tr><th>gap width</th><td>\(len(s.restGapWidth))</td><td>\(len(s.peakGapWidth))</td><td>\(signed(s.gapWidening))</td></tr>\n"
        h += "<tr><th>end separation</th><td>\(len(s.restEndSeparation))</td><td>\(len(s.peakEndSeparation))</td><td>\(signed(s.endSeparationChange))</td></tr>\n"
        h += "<tr><th>frames</th><td>\(s.restFrameCount)</td><td>\(s.peakFrameCount)</td><td></td></tr>\n</table>\n<table>\n"
        h += "<tr><th>muscle thickness</th><td>mean \(len(s.meanMuscleThickness))" + (a.thicknessRange.map { ", range \(len($0))" } ?? "") + "</td></tr>\n"
        h += "<tr><th>echo intensity</th><td>" + (s.meanEchoIntensity.map { String(format: "mean %.1f grey levels (0-255)", $0) } ?? "n/a") + "</td></tr>\n"
        h += String(format: "<tr><th>defect depth</th><td>max %.0f%% of the muscle thickness</td></tr>\n", 100 * s.maxDefectDepthFraction)
        h += "<tr><th>contraction</th><td>\(a.contractionSeen ? "seen" : "not seen") (the belly moves up to \(len(s.tissueMotionRange)) from rest)</td></tr>\n"
        h += "<tr><th>opening at the defect</th><td>\(signed(s.peakOpening)) at peak contraction</td></tr>\n</table>\n</section>\n"

        // Plots.
        let times = a.frames.map(\.timeS)
        let windows = a.parameters.windows
        let rest = a.frames.map { $0.contraction <= windows.restMaxContraction }
        let peak = a.frames.map { a.contractionSeen && $0.contraction >= windows.peakMinContraction }
        let u = a.unit.rawValue
        let plots = [
            SVGPlot(title: "Gap width", unit: u, times: times, values: a.frames.map { $0.gapWidth.value }, rest: rest, peak: peak, fromZero: true),
            SVGPlot(title: "End separation", unit: u, times: times, values: a.frames.map { $0.endSeparation.value }, rest: rest, peak: peak, fromZero: true),
            SVGPlot(title: "Muscle thickness", unit: u, times: times, values: a.frames.map { $0.muscleThickness?.value }, rest: rest, peak: peak, fromZero: false),
            SVGPlot(title: "Pennation angle", unit: "deg", times: times, values: a.frames.map(\.pennationAngleDeg), rest: rest, peak: peak, fromZero: false),
            SVGPlot(title: "Fascicle length", unit: u, times: times, values: a.frames.map { $0.fascicleLength?.value }, rest: rest, peak: peak, fromZero: false),
            SVGPlot(title: "Contraction", unit: "0-1", times: times, values: a.frames.map(\.contraction), rest: rest, peak: peak, fromZero: true, fixedRange: 0...1),
            SVGPlot(title: "Tissue motion from rest", unit: u, times: times, values: a.tissueMotion.map(\.value), rest: rest, peak: peak, fromZero: true),
            SVGPlot(title: "Opening across the defect", unit: u, times: times, values: a.opening.map { $0?.value }, rest: rest, peak: peak, fromZero: false),
        ]
        h += "<section class=\"plots\">\n<h2>Through the clip</h2>\n<div class=\"grid\">\n"
        for p in plots { h += "<div>" + p.svg() + "</div>\n" }
        h += "</div>\n<p class=\"legend\"><span class=\"sw\" style=\"background:\(SVGPlot.restFill)\"></span>rest window (contraction &le; \(windows.restMaxContraction)) "
        h += "<span class=\"sw\" style=\"background:\(SVGPlot.peakFill)\"></span>peak window (contraction &ge; \(windows.peakMinContraction))</p>\n</section>\n"

        // Calibration, clip, engine, limits.
        let calibration: String
        if let c = a.calibration {
            let from: String
            switch a.calibrationSource {
            case .dicom: from = "from the DICOM file" + (a.info.calibration?.detail.map { " (\($0))" } ?? "")
            case .cli: from = a.screen?.method == .depthOverRegion ? "from --depth-mm over the imaging region's height" : "given on the command line (--mm-per-pixel)"
            case .labels: from = "from the labels document beside the clip (mmPerPixel)"
            case .screen: from = "read from the depth ruler on the screen" + (a.screen?.method == .rulerTicksAtDepth ? " (its ticks, at --depth-mm)" : " (its ticks and numbers)")
            case .none: from = "none"
            }
            calibration = String(format: "%.4f &times; %.4f mm per pixel (x &times; y), ", c.mmPerPixelX, c.mmPerPixelY) + HTML.escape(from)
        } else {
            calibration = "none: every length is in pixels (give --mm-per-pixel, --depth-mm, or a DICOM file with its ultrasound regions, for millimetres)"
                + (a.screen?.refusal.map { "<br>" + HTML.escape($0) } ?? "")
        }
        let info = a.info
        let r = a.imagingRegion
        h += "<section class=\"about\">\n<h2>Calibration and clip</h2>\n<table>\n"
        h += "<tr><th>calibration</th><td>\(calibration)</td></tr>\n"
        if let screen = a.screen, screen.mmPerPixel != nil, let image = rulerImage {
            let png: Data
            do { png = try PNGWriter.encode(image) } catch { throw .writer(error) }
            h += "<tr><th>depth ruler read</th><td><figure class=\"ruler\"><img alt=\"the depth ruler as read, first frame\" width=\"\(image.width)\" height=\"\(image.height)\" src=\"data:image/png;base64,\(png.base64EncodedString())\">"
            h += "<figcaption>\(HTML.escape(RulerFigure.caption(screen)))</figcaption></figure></td></tr>\n"
        }
        h += "<tr><th>imaging region</th><td>x \(r.x), y \(r.y), \(r.width) &times; \(r.height) pixels (\(HTML.escape(a.imagingRegionSource)))</td></tr>\n"
        h += "<tr><th>file</th><td class=\"path\">\(HTML.escape(info.path))</td></tr>\n"
        h += "<tr><th>SHA-256</th><td class=\"path\">\(HTML.escape(sha256 ?? "n/a"))</td></tr>\n"
        h += "<tr><th>format</th><td>\(HTML.escape(info.container)), \(HTML.escape(info.codec)), \(info.width) &times; \(info.height)"
            + (info.rotationDegrees != 0 ? ", rotated \(info.rotationDegrees)&deg;" : "") + "</td></tr>\n"
        let duration = (a.frames.last?.timeS).map { String(format: ", %.2f s", $0 - (a.frames.first?.timeS ?? 0)) } ?? ""
        h += "<tr><th>frames</th><td>\(a.frames.count) decoded" + (info.fps.map { String(format: " at %.2f fps", $0) } ?? "") + duration + "</td></tr>\n"
        h += "<tr><th>engine</th><td>mskcine \(HTML.escape(engineVersion))</td></tr>\n</table>\n"
        if !a.warnings.isEmpty {
            h += "<p><b>Warnings</b></p>\n<ul class=\"warnings\">\n"
            for w in a.warnings { h += "<li>\(HTML.escape(w))</li>\n" }
            h += "</ul>\n"
        }
        h += "<p class=\"limits\"><b>Limits.</b> \(HTML.escape(limits))</p>\n</section>\n</body>\n</html>\n"
        return h
    }

    static func hex(_ c: RGB) -> String { String(format: "#%02x%02x%02x", c.r, c.g, c.b) }

    static let css = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 13px; line-height: 1.35;
           color: #111; background: #fff; margin: 0 auto; padding: 14px 18px; max-width: 1000px; }
    h1 { font-size: 20px; margin: 0 0 2px; } h1 .clip { font-weight: normal; color: #444; }
    h2 { font-size: 15px; margin: 10px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 2px; }
    .meta { color: #555; margin: 0 0 8px; font-size: 11px; }
    .finding { border: 2px solid #888; border-left-width: 10px; padding: 4px 12px 6px; margin: 6px 0 10px; }
    .finding h2 { border: none; font-size: 18px; margin: 4px 0; }
    .finding.full-thickness-tear { border-color: #c0392b; background: #fdf0ee; }
    .finding.partial-tear { border-color: #d68910; background: #fef7ea; }
    .finding.no-tear { border-color: #1e8449; background: #eef8f1; }
    .finding.indeterminate { border-color: #777; background: #f3f3f3; }
    .facts { margin: 2px 0 4px; }
    .evidence { margin: 4px 0; padding-left: 20px; }
    .frames .row { display: flex; gap: 10px; }
    figure { flex: 1 1 0; margin: 0; min-width: 0; }
    figure img { width: 100%; height: auto; display: block; image-rendering: auto; border: 1px solid #999; }
    figcaption { font-size: 11px; margin-top: 3px; }
    .empty { border: 1px dashed #aaa; padding: 30px 8px; text-align: center; color: #666; }
    .legend { font-size: 11px; margin: 4px 0; }
    .sw { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: -1px; border: 1px solid #555; }
    .sw:first-child { margin-left: 0; }
    table { border-collapse: collapse; margin: 2px 0 6px; }
    th, td { text-align: left; padding: 1px 10px 1px 0; vertical-align: top; font-size: 12px; }
    .summary table { display: inline-table; margin-right: 28px; }
    .plots .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; }
    svg.plot { width: 100%; height: auto; display: block; }
    svg .pt { font-size: 12px; font-weight: bold; fill: #111; }
    svg .tl { font-size: 10px; fill: #333; }
    svg .grid { stroke: #ddd; stroke-width: 0.7; }
    svg .frame { fill: none; stroke: #666; stroke-width: 0.8; }
    .path { word-break: break-all; font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }
    .limits { font-size: 11px; color: #333; border-top: 1px solid #ccc; padding-top: 4px; }
    @page { size: A4; margin: 12mm; }
    @media print {
      body { font-size: 10pt; padding: 0; max-width: none; }
      section, figure, .plots .grid > div, table { break-inside: avoid; }
      .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      .plots, .sw, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }
    """
}
