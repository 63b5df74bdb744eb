import Foundation
import MSKAnalysis
import MSKImage
import MSKImaging
import MSKReader
import MSKWriter

/// Draws the analysis over a frame: the aponeuroses' inner edges (green), the defect outline
/// (yellow), the stump end faces (magenta circles) and a caliper between them labelled with
/// the frame's end separation (cyan, in mm, or px without calibration), the defect's path
/// through the clip so far (orange: one object followed through the clip), and on the
/// peak-contraction frames the belly's displacement from rest at each field node (white arrows,
/// drawn twice their length): where the tissue pulls apart at the defect, the arrows either side
/// point away from it.
///
/// Feed frames in decode order: where the defect was not detected in a frame, the last detected
/// outline is drawn (the fused end faces move with the tissue in every frame).
public struct OverlayPainter: Sendable {
    public let analysis: ClipAnalysis
    private var lastBox: PixelRect?
    /// Line width and glyph scale, from the imaging region's size.
    public let lineWidth: Int
    public let fontScale: Int

    public init(analysis: ClipAnalysis) {
        self.analysis = analysis
        let side = Double(min(analysis.imagingRegion.width, analysis.imagingRegion.height))
        lineWidth = max(1, Int((side / 200).rounded()))
        fontScale = max(2, Int((side / 160).rounded()))
    }

    /// Draws the annotations of frame `t` (its position in `analysis.frames`) on `canvas`, a
    /// whole decoded frame: imaging-region coordinates are offset by the region's origin.
    public mutating func draw(on canvas: inout Canvas, frame t: Int) {
        guard t >= 0, t < analysis.overlays.count, t < analysis.frames.count else { return }
        let o = analysis.overlays[t]
        let region = analysis.imagingRegion
        let ox = Double(region.x), oy = Double(region.y)
        let w = lineWidth
        // Aponeurosis inner edges across the region.
        // The same points the result document reports (`superficialEdgePx`, `deepEdgePx`).
        // Where the muscle was not found in this frame, or its detection here disagreed with the
        // fused muscle, the edges are carried from the nearest frame whose detection agreed
        // (`ClipFusion.carriedEdges`): dashed, one dash per reported segment.
        let carried = o.edgesCarried
        for points in [o.superficialEdge(region: region), o.deepEdge(region: region)] {
            guard let points else { continue }
            if carried {
                for i in stride(from: 0, to: points.count - 1, by: 2) {
                    canvas.line(points[i].x, points[i].y, points[i + 1].x, points[i + 1].y, .aponeurosis, thickness: w)
                }
            } else {
                canvas.polyline(points, .aponeurosis, thickness: w)
            }
        }
        // The fascicle at the frame's reported angle, from the deep to the superficial inner edge.
        // Where the straight fascicle leaves the image (shallow pennation) only the part inside the region is drawn.
        if let f = o.fascicleLine,
           let (a, b) = Self.clip(f.deep, f.superficial, width: Double(region.width - 1), height: Double(region.height - 1)) {
            canvas.line(ox + a.x, oy + a.y, ox + b.x, oy + b.y, .fascicle, thickness: w)
        }
        // Defect outline: this frame's detection, else the last one.
        if analysis.defectBox != nil {
            if let box = o.defectBox { lastBox = box }
            if let b = lastBox {
                canvas.rect(region.x + b.x, region.y + b.y, region.x + b.maxX - 1, region.y + b.maxY - 1, .defect, thickness: w)
            }
        }
        // The defect's path up to this frame: the points the result document reports (`defectCentrePx`).
        let path = analysis.overlays.prefix(t + 1).compactMap { $0.defectCentre(region: region) }
        if path.count >= 2 { canvas.polyline(path, .path, thickness: w) }
        // The displacement field at peak contraction, on the peak frames.
        if analysis.contractionSeen, analysis.frames[t].contraction >= analysis.parameters.windows.peakMinContraction {
            for arrow in analysis.peakField {
                let a = SIMD2(ox + arrow.position.x, oy + arrow.position.y)
                let b = a + 2 * arrow.displacement
                canvas.line(a.x, a.y, b.x, b.y, .field, thickness: w)
                canvas.circle(a.x, a.y, radius: Double(w), .field, thickness: w, filled: true)
            }
        }
        // End faces and the caliper between them.
        // The faces the result document reports (`stumpFacesPx`).
        guard let (a, b) = o.stumpFaces(region: region) else { return }
        canvas.line(a.x, a.y, b.x, b.y, .caliper, thickness: w)
        let d = b - a
        let len = (d * d).sum().squareRoot()
        if len > 0 {
            let n = SIMD2(-d.y, d.x) / len * Double(4 * w + 3)
            for p in [a, b] { canvas.line(p.x - n.x, p.y - n.y, p.x + n.x, p.y + n.y, .caliper, thickness: w) }
        }
        let radius = Double(3 * w + 3)
        canvas.circle(a.x, a.y, radius: radius, .face, thickness: w + 1)
        canvas.circle(b.x, b.y, radius: radius, .face, thickness: w + 1)
        let label = Self.label(analysis.frames[t].endSeparation)
        let s = fontScale
        let tw = Canvas.textWidth(label, scale: s)
        var tx = Int(((a.x + b.x) / 2).rounded()) - tw / 2
        var ty = Int(min(a.y, b.y).rounded()) - Int(radius) - Canvas.glyphHeight * s - 4 * s
        if ty < region.y + 2 * s { ty = Int(max(a.y, b.y).rounded()) + Int(radius) + 4 * s }
        tx = min(max(tx, region.x + 2 * s), region.x + region.width - tw - 2 * s)
        canvas.text(label, x: tx, y: ty, scale: s, .caliper, background: .black)
    }

    /// The part of segment a-b inside [0, width] x [0, height] (Liang-Barsky), nil when none is.
    static func clip(_ a: SIMD2<Double>, _ b: SIMD2<Double>, width: Double, height: Double) -> (SIMD2<Double>, SIMD2<Double>)? {
        var t0 = 0.0, t1 = 1.0
        let d = b - a
        for (p, q) in [(-d.x, a.x), (d.x, width - a.x), (-d.y, a.y), (d.y, height - a.y)] {
            if p == 0 { if q < 0 { return nil }; continue }
            let r = q / p
            if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
            if t0 > t1 { return nil }
        }
        return (a + t0 * d, a + t1 * d)
    }

    /// "9.8 mm" or "52.0 px".
    public static func label(_ length: Length) -> String {
        String(format: "%.1f %@", length.value, length.unit.rawValue)
    }
}

/// The overlay pass: the clip decoded a second time, frame by frame, with the annotations drawn;
/// written to the overlay clip (same frame count, same frame rate) and/or kept for the key frames.
/// Only the frame being drawn and the key frames (cropped to the imaging region) are held.
public enum OverlayPass {
    public struct Result: Sendable {
        /// Frames decoded (and written, when an overlay clip was asked for).
        public var frames: Int
        /// The annotated key frames, cropped to the imaging region, by position in the clip.
        public var keyFrames: [Int: RGBImage]
        /// The first frame around the depth ruler that calibrated the clip (`RulerFigure`), when asked for.
        public var ruler: RGBImage?
    }

    /// The codec an overlay clip is written with, from its extension: MJPEG in AVI, H.264 otherwise.
    public static func codec(forPath path: String) -> VideoCodec {
        URL(fileURLWithPath: path).pathExtension.lowercased() == "avi" ? .mjpeg : .h264
    }

    /// The frame rate to write: the clip's, else from the analysed frame times, else 25.
    public static func frameRate(_ analysis: ClipAnalysis) -> Double {
        if let fps = analysis.info.fps, fps.isFinite, fps > 0 { return fps }
        if let first = analysis.frames.first, let last = analysis.frames.last, analysis.frames.count > 1, last.timeS > first.timeS {
            return Double(analysis.frames.count - 1) / (last.timeS - first.timeS)
        }
        return 25
    }

    /// Decodes `analysis.info.path` again. With `overlayPath`, writes every frame annotated
    /// (to a temporary name, renamed when whole); keeps the annotated frames listed in `keyFrames`.
    /// `progress` is called with the number of frames done.
    public static func run(analysis: ClipAnalysis, overlayPath: String?, keyFrames: Set<Int>, rulerFigure: Bool = false,
                           progress: ((Int) -> Void)? = nil) throws(ReportError) -> Result {
        let path = analysis.info.path
        let source: any FrameSource
        do {
            source = try openClip(path: path, options: ClipOptions(reader: ReaderOptions(wantRGB: overlayPath != nil || !keyFrames.isEmpty)))
        } catch { throw .reread(error) }
        var painter = OverlayPainter(analysis: analysis)
        var writer: VideoWriter?
        var kept: [Int: RGBImage] = [:]
        var ruler: RGBImage?
        var t = 0
        let expected = analysis.frames.count
        let codec = overlayPath.map(codec(forPath:))
        do {
            // The canvas takes the decoded frame's pixels; the frame itself is not kept, so drawing
            // changes them in place instead of copying the whole frame first.
            while var canvas = try source.nextFrame().map({ $0.rgb.map { Canvas($0) } ?? Canvas(grey: $0.grey) }) {
                guard t < expected else { throw ReportError.clipChanged(path: path, analysed: expected, reread: t + 1) }
                if rulerFigure && t == 0 { ruler = RulerFigure.draw(on: canvas.image, screen: analysis.screen) }
                painter.draw(on: &canvas, frame: t)
                if keyFrames.contains(t) { kept[t] = crop(canvas.image, to: analysis.imagingRegion) }
                if let overlayPath, let codec {
                    // 4:2:0 codecs need even sides: an odd frame gets one black column or row.
                    let image = pad(canvas.image, toEven: true)
                    if writer == nil {
                        writer = try VideoWriter(path: overlayPath, width: image.width, height: image.height,
                                                 options: VideoWriterOptions(codec: codec, fps: frameRate(analysis), pixels: .rgb,
                                                                             quality: codec == .h264 ? 20 : 4, preset: "veryfast"))
                    }
                    try writer!.write(image)
                }
                t += 1
                progress?(t)
            }
            guard t == expected else { throw ReportError.clipChanged(path: path, analysed: expected, reread: t) }
            try writer?.finish()
        } catch let error as ReportError {
            throw error
        } catch let error as ReaderError {
            throw .reread(error)
        } catch let error as WriterError {
            throw .writer(error)
        } catch {
            throw .cannotWrite(path: overlayPath ?? path, reason: "\(error)")
        }
        return Result(frames: t, keyFrames: kept, ruler: ruler)
    }

    /// The part of `image` inside `rect` (clamped to the image).
    public static func crop(_ image: RGBImage, to rect: PixelRect) -> RGBImage {
        let x0 = max(0, min(image.width, rect.x)), y0 = max(0, min(image.height, rect.y))
        let x1 = max(x0, min(image.width, rect.maxX)), y1 = max(y0, min(image.height, rect.maxY))
        let w = x1 - x0, h = y1 - y0
        return RGBImage(width: w, height: h) { out in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    for i in 0..<(3 * w) { out[3 * y * w + i] = src[3 * ((y0 + y) * image.width + x0) + i] }
                }
            }
        }
    }

    /// `image` with one black column and/or row added where a side is odd.
    static func pad(_ image: RGBImage, toEven: Bool) -> RGBImage {
        let w = image.width + image.width % 2, h = image.height + image.height % 2
        guard w != image.width || h != image.height else { return image }
        var out = [UInt8](repeating: 0, count: 3 * w * h)
        for y in 0..<image.height {
            for i in 0..<(3 * image.width) { out[3 * y * w + i] = image.pixels[3 * y * image.width + i] }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
