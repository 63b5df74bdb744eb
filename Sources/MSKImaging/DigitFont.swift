/// Digit templates for reading the numbers a scanner prints beside its depth ruler (`DepthScaleReader`).
///
/// A glyph is compared as `DigitFont.columns` x `DigitFont.rows` cells: the area average of its
/// difference from the canvas over its bounding box, divided by its largest difference (so a glyph's
/// size, stroke grey and the canvas grey do not matter, and the sampling is the same as
/// `scripts/learn-digit-font.py`'s, which learns a scanner's font from its own export). Mirrored
/// exports (a flipped screen capture, as some published data sets are) are read with the same
/// templates mirrored. `Docs/methods.md`, "Screen calibration", says how to add a scanner's font.
public struct DigitTemplate: Sendable {
    /// Where the glyph was learned ("telemed", "calf", "sim5x7", ...).
    public let font: String
    public let digit: Int
    /// The glyph's width over its height.
    public let aspect: Double
    /// `rows` x `columns` cells, 0...1, row by row.
    public let cells: [Float]

    /// `rows`: one string per cell row, one digit 0-9 per cell (the script's output).
    public init(font: String, digit: Int, aspect: Double, rows: [String]) {
        self.font = font
        self.digit = digit
        self.aspect = aspect
        self.cells = rows.flatMap { $0.map { Float($0.wholeNumberValue ?? 0) / 9 } }
    }

    init(font: String, digit: Int, aspect: Double, cells: [Float]) {
        self.font = font
        self.digit = digit
        self.aspect = aspect
        self.cells = cells
    }

    /// The template mirrored left to right.
    public var mirrored: DigitTemplate {
        var m = cells
        for r in 0..<DigitFont.rows {
            for c in 0..<DigitFont.columns { m[r * DigitFont.columns + c] = cells[r * DigitFont.columns + DigitFont.columns - 1 - c] }
        }
        return DigitTemplate(font: font + "-mirrored", digit: digit, aspect: aspect, cells: m)
    }
}

public enum DigitFont {
    public static let columns = 8
    public static let rows = 12

    /// Every template: the glyphs learned from real exports (`learned`) and the simulator's 5x7 font.
    public static let templates: [DigitTemplate] = learned + simulator

    /// Learned with `scripts/learn-digit-font.py` from the exports in `../shared/data` (the comment
    /// names the clip, the glyph's top-left pixel and its size). Telemed: the ruler's labels (0, 5 of
    /// "50" in two sizes, 6 of a mirrored "60") and digits of the parameter column (1, 8) in the same font;
    /// the calf clips' scanner: the ruler's "4" (its "2" is hidden by the focus markers).
    public static let learned: [DigitTemplate] = [
        .init(font: "telemed", digit: 0, aspect: 0.600, rows: ["05889741", "67522564", "75300466", "73100258", "83000259", "93000259", "83100357", "94110357", "84200454", "65433662", "35656652", "01232100"]), // p6_isokinetic500_01_push_01.mp4 at (86, 47), 6x10 px
        .init(font: "telemed", digit: 5, aspect: 0.600, rows: ["57887767", "57633223", "77511111", "86533210", "87665531", "78634774", "00000369", "00000369", "52000359", "74321466", "56544662", "22366322"]), // p6_isokinetic500_01_push_01.mp4 at (86, 588), 6x10 px
        .init(font: "telemed", digit: 0, aspect: 0.700, rows: ["03777500", "06534640", "37311471", "57200372", "56200272", "85100274", "85200273", "57200382", "48300381", "37422561", "04655630", "10476300"]), // p6_isokinetic500_01_push_01.mp4 at (93, 588), 7x10 px
        .init(font: "telemed", digit: 1, aspect: 0.444, rows: ["11119933", "55669933", "55669933", "11008833", "00008833", "00008822", "00008822", "00008833", "00008822", "00008822", "00007722", "00007733"]), // p6_isokinetic500_01_push_01.mp4 at (1101, 68), 4x9 px
        .init(font: "telemed", digit: 8, aspect: 0.667, rows: ["04799852", "04533652", "05401552", "15500452", "15621552", "13466431", "13466433", "15510465", "36500246", "46510356", "35533554", "04799740"]), // p6_isokinetic500_01_push_01.mp4 at (1106, 68), 6x9 px
        // Learned mirrored from a flipped Telemed still (its "60" reads "09"), stored unmirrored.
        DigitTemplate(font: "telemed", digit: 6, aspect: 0.600, rows: ["22366322", "55433662", "33211455", "11000248", "00111258", "22366459", "27722359", "75300149", "84100039", "75200248", "56411454", "14677640"]).mirrored, // img_00304.png at (568, 484), 6x10 px
        .init(font: "telemed", digit: 5, aspect: 0.500, rows: ["99999999", "96222222", "95000000", "95000000", "96222210", "99999940", "95000059", "21000059", "00000059", "42000059", "75222257", "04999940"]), // tt4_SampleA.mkv at (86, 651), 5x10 px
        .init(font: "telemed", digit: 0, aspect: 0.500, rows: ["04999940", "75222257", "95000059", "95000059", "95000059", "95000059", "95000059", "95000059", "95000059", "95000059", "75222257", "04999940"]), // tt4_SampleA.mkv at (93, 651), 5x10 px
        .init(font: "calf", digit: 4, aspect: 0.786, rows: ["00005840", "00027840", "00069840", "00288840", "01676840", "04834840", "27604840", "59436852", "69999996", "34446863", "00004840", "00004840"]), // Bag1_m0.wmv at (779, 427), 11x14 px
    ]

    /// The simulator's canvas font (5x7 bits, bit 4 = leftmost column; `MSKSimulator.Glyphs`),
    /// sampled as a glyph of that size is.
    public static let simulator: [DigitTemplate] = {
        let bits: [[UInt8]] = [
            [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
            [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
            [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
            [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
            [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ]
        return bits.enumerated().map { digit, rows in
            // The glyph's own bounding box (the "1" is 3 columns wide).
            var x0 = 4, x1 = 0
            for r in rows { for c in 0..<5 where r & (0x10 >> c) != 0 { x0 = min(x0, c); x1 = max(x1, c) } }
            let w = x1 - x0 + 1
            let cells = sample(width: w, height: 7) { x, y in rows[y] & (0x10 >> (x + x0)) != 0 ? 1 : 0 }
            return DigitTemplate(font: "sim5x7", digit: digit, aspect: Double(w) / 7, cells: cells)
        }
    }()

    /// The glyph's cells: `value(x, y)` (its difference from the canvas, >= 0) over a `width` x
    /// `height` box, area-averaged into `rows` x `columns` cells and divided by the largest value.
    public static func sample(width: Int, height: Int, value: (Int, Int) -> Float) -> [Float] {
        var peak: Float = 0
        for y in 0..<height { for x in 0..<width { peak = max(peak, value(x, y)) } }
        if peak <= 0 { peak = 1 }
        var cells = [Float](repeating: 0, count: rows * columns)
        let w = Double(width), h = Double(height)
        for r in 0..<rows {
            let ya = Double(r) * h / Double(rows), yb = Double(r + 1) * h / Double(rows)
            for c in 0..<columns {
                let xa = Double(c) * w / Double(columns), xb = Double(c + 1) * w / Double(columns)
                var total = 0.0, area = 0.0
                var yy = Int(ya)
                while yy < min(height, Int(yb.rounded(.up))) {
                    let fy = min(yb, Double(yy + 1)) - max(ya, Double(yy))
                    var xx = Int(xa)
                    while xx < min(width, Int(xb.rounded(.up))) {
                        let fx = min(xb, Double(xx + 1)) - max(xa, Double(xx))
                        total += fy * fx * Double(value(xx, yy))
                        area += fy * fx
                        xx += 1
                    }
                    yy += 1
                }
                cells[r * columns + c] = area > 0 ? Float(total / area) / peak : 0
            }
        }
        return cells
    }

    /// A glyph recognised: the digit, its best correlation and the lead over the best other digit.
    public struct Match: Sendable, Equatable {
        public var digit: Int
        public var score: Double
        public var margin: Double
    }

    /// The digit whose template correlates best with `cells` (normalised cross-correlation), among
    /// templates of a similar aspect; nil unless the best reaches `minimumScore` and leads every other
    /// digit by `minimumMargin`: an unsure glyph is unread, never guessed.
    public static func recognise(cells: [Float], aspect: Double, mirrored: Bool, minimumScore: Double = 0.72, minimumMargin: Double = 0.08) -> Match? {
        var best = [Int: Double]()
        for t in templates {
            let tpl = mirrored ? t.mirrored : t
            // A "1" is narrow in every font; a wide glyph is not a "1" (and the reverse).
            guard aspect / tpl.aspect < 1.7, tpl.aspect / aspect < 1.7 else { continue }
            let s = correlation(cells, tpl.cells)
            if s > best[t.digit] ?? -1 { best[t.digit] = s }
        }
        let ranked = best.sorted { $0.value > $1.value }
        guard let top = ranked.first, top.value >= minimumScore else { return nil }
        let second = ranked.count > 1 ? ranked[1].value : -1
        guard top.value - second >= minimumMargin else { return nil }
        return Match(digit: top.key, score: top.value, margin: top.value - second)
    }

    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<a.count {
            let da = Double(a[i]) - ma, db = Double(b[i]) - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }
}
