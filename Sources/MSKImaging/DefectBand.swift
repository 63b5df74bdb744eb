import Foundation
import MSKImage

/// How far through the muscle's depth a dark region's band stays darker than the tissue either side
/// of it at the same depth: the depth extent of the discontinuity, not of the region's darkest part.
///
/// A haematoma with internal echoes, or one whose lower part is brightened by the depth gain, is
/// below the detector's dark threshold only in pieces, yet the whole column between the stumps is
/// darker than the tissue beside it, from one aponeurosis to the other. A partial tear's column is
/// dark only where the fibres are torn; intact tissue below or above it is as bright as beside it
/// (brighter, beneath fluid). The comparison is made row by row with the tissue at the same depth,
/// so depth gain and attenuation cancel.
///
/// Method. The region's centre on each of its rows is fitted with a straight line (its tilt), and
/// its median width is the band's width. From the region's last row outward (down, then up, unless
/// it already reaches that aponeurosis), each row's band mean (`bandRowHalfMm` each side) is
/// compared with the darker of the two flanks (`bandFlankGapMm` beyond the band, as wide as the
/// band, at least 2 mm). A row is open when the band is at most `bandRatio` of that flank. The band
/// follows the fitted tilt, kept within `bandMaxTiltDeg` of the vertical, and may shift 1 pixel a
/// row towards its darkest position, at most half its width off the line. It stops after
/// `bandBridgeMm` of closed rows or at the aponeurosis' inner edge; its extent ends at its last
/// open row.
struct DefectBand: Equatable {
    /// First row and the row after the last of the extent (pixels), and whether each end reaches
    /// an aponeurosis (within `touchMm` of its inner edge).
    var top: Double
    var bottom: Double
    var touchTop: Bool
    var touchBottom: Bool
    /// Whether the fibres stay interrupted from the extent's end to that aponeurosis, where the
    /// region is not dark (`DefectDetector.interruption`).
    var interruptedToTop = false
    var interruptedToBottom = false

    /// The region's own rows, reaching the aponeuroses as `touchTop`/`touchBottom` say.
    init(box: PixelRect, touchTop: Bool, touchBottom: Bool) {
        top = Double(box.y); bottom = Double(box.y + box.height)
        self.touchTop = touchTop; self.touchBottom = touchBottom
    }

    /// The extent of the region whose pixels (indices into a `width`-wide image) are `pixels`, in
    /// box `box`, that reaches the aponeuroses as `touchTop`/`touchBottom` say. `superficialY` and
    /// `deepY` are the inner edges at each column.
    static func extent(pixels: some Collection<Int>, width w: Int, box: PixelRect, touchTop: Bool, touchBottom: Bool,
                       integral: IntegralImage, superficialY: [Double], deepY: [Double],
                       params: DefectDetector.Params, spacing: Spacing) -> DefectBand {
        let own = DefectBand(box: box, touchTop: touchTop, touchBottom: touchBottom)
        guard params.bandRatio > 0, !(touchTop && touchBottom), box.height >= 2 else { return own }
        // Each row's leftmost and rightmost pixel.
        var rowMin = [Int](repeating: Int.max, count: box.height), rowMax = [Int](repeating: Int.min, count: box.height)
        for i in pixels {
            let k = i / w - box.y, x = i % w
            rowMin[k] = min(rowMin[k], x); rowMax[k] = max(rowMax[k], x)
        }
        // Least-squares centre line x = a + b (y - box.y) over the rows, and the median width.
        var n = 0.0, sy = 0.0, sx = 0.0, syy = 0.0, sxy = 0.0
        var widths: [Int] = []
        for k in 0..<box.height where rowMin[k] <= rowMax[k] {
            let y = Double(k), x = Double(rowMin[k] + rowMax[k]) / 2
            n += 1; sy += y; sx += x; syy += y * y; sxy += x * y
            widths.append(rowMax[k] - rowMin[k] + 1)
        }
        guard n >= 2, !widths.isEmpty else { return own }
        let den = n * syy - sy * sy
        // A tear runs across the muscle: its tilt from the vertical is kept within `bandMaxTiltDeg`.
        let maxTilt = tan(params.bandMaxTiltDeg * .pi / 180) * spacing.mmPerPixelY / spacing.mmPerPixelX
        let b = den > 0 ? max(-maxTilt, min(maxTilt, (n * sxy - sx * sy) / den)) : 0
        let a = (sx - b * sy) / n
        widths.sort()
        let halfWidth = max(1, widths[widths.count / 2] / 2)
        let flankGap = max(1, spacing.px(x: params.bandFlankGapMm))
        let flankWidth = max(2 * halfWidth + 1, spacing.px(x: 2))
        let ry = max(1, spacing.px(y: params.bandRowHalfMm))
        let bridge = max(1, spacing.px(y: params.bandBridgeMm))
        let touchPx = params.touchMm / spacing.mmPerPixelY
        let inset = 0.05 / spacing.mmPerPixelY
        let width = integral.width

        func boxMean(_ x0: Int, _ x1: Int, _ y: Int) -> Float? {
            let lo = max(0, x0), hi = min(width - 1, x1)
            guard hi - lo >= 1 else { return nil }
            return integral.mean(x: (lo + hi) / 2, y: y, rx: (hi - lo) / 2, ry: ry)
        }
        /// The band's mean at centre c on row y over the darker flank's (nil: no flank in the image).
        func ratio(_ c: Int, _ y: Int) -> Float? {
            guard let band = boxMean(c - halfWidth, c + halfWidth, y) else { return nil }
            let left = boxMean(c - halfWidth - flankGap - flankWidth, c - halfWidth - flankGap, y)
            let right = boxMean(c + halfWidth + flankGap, c + halfWidth + flankGap + flankWidth, y)
            let darker = min(left ?? .infinity, right ?? .infinity)
            guard darker.isFinite, darker > 1 else { return nil }
            return band / darker
        }
        /// Walks from row `start` in direction `step` (+1 down, -1 up); returns the last open row
        /// and its band centre (nil when not one row was open).
        func walk(from start: Int, step: Int) -> (y: Int, x: Int)? {
            var y = start, lastOpen: (y: Int, x: Int)?
            var shift = 0, closed = 0
            while closed <= bridge {
                let line = Int((a + b * Double(y - box.y)).rounded())
                guard line + shift >= 0, line + shift < width else { break }
                let edge = step > 0 ? deepY[line + shift] - inset : superficialY[line + shift] + inset
                if step > 0 ? Double(y) > edge : Double(y) < edge { break }
                // The darkest of the three positions a pixel apart, kept within half the band's
                // width of the fitted line and inside the image.
                var best: (r: Float, s: Int)?
                for s in (shift - 1)...(shift + 1) where abs(s) <= halfWidth && line + s >= 0 && line + s < width {
                    if let r = ratio(line + s, y), best.map({ r < $0.r }) ?? true { best = (r, s) }
                }
                guard let found = best else { break }
                shift = found.s
                if found.r <= Float(params.bandRatio) {
                    lastOpen = (y, line + shift); closed = 0
                } else {
                    closed += 1
                }
                y += step
            }
            return lastOpen
        }
        var band = own
        if !touchBottom, let end = walk(from: box.y + box.height, step: 1) {
            band.bottom = Double(end.y + 1)
            band.touchBottom = deepY[end.x] - Double(end.y) <= touchPx
        }
        if !touchTop, let end = walk(from: box.y - 1, step: -1) {
            band.top = Double(end.y)
            band.touchTop = Double(end.y) - superficialY[end.x] <= touchPx
        }
        return band
    }
}
