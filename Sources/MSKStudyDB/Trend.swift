import Foundation
import GRDB
import MSKAnalysis

/// One analysed clip as a trend sees it.
public struct TrendClip: Sendable, Equatable {
    public var patientId: String
    public var muscle: String
    public var side: String
    /// ISO `YYYY-MM-DD`.
    public var studyDate: String
    /// Rest thickness (median over frames with contraction <= 0.2; the clip's mean where there
    /// are none) in mm; nil when the clip was not calibrated (pixels cannot be compared).
    public var thicknessMm: Double?
    public var echoIntensity: Double?
    /// Rest pennation angle, unsigned (degrees), and rest fascicle length (mm; nil uncalibrated).
    public var pennationAngleDeg: Double?
    public var fascicleLengthMm: Double?

    public init(patientId: String, muscle: String, side: String, studyDate: String, thicknessMm: Double?, echoIntensity: Double?,
                pennationAngleDeg: Double? = nil, fascicleLengthMm: Double? = nil) {
        self.patientId = patientId
        self.muscle = muscle
        self.side = side
        self.studyDate = studyDate
        self.thicknessMm = thicknessMm
        self.echoIntensity = echoIntensity
        self.pennationAngleDeg = pennationAngleDeg
        self.fascicleLengthMm = fascicleLengthMm
    }
}

/// Minimal detectable changes: a change smaller than these is not told apart from measurement
/// noise (values and sources in Docs/batch.md).
public struct TrendThresholds: Sendable, Equatable {
    /// Rectus femoris thickness between days, mm.
    public var thicknessMdcMm: Double = 0.3
    /// Echo intensity, grey levels (the middle of the 5-7 reported).
    public var echoMdc: Double = 6
    /// Pennation angle (degrees) and fascicle length (mm) between days: reported beside the
    /// thickness, not flagged on their own (Docs/methods.md, "Fascicle geometry").
    public var pennationMdcDeg: Double = 2
    public var fascicleLengthMdcMm: Double = 5
    public init() {}
}

/// Least-squares line through (day, value), its slope per 30 days and the slope's 95% CI.
public struct TrendFit: Sendable, Equatable {
    public var n: Int
    public var slopePer30Days: Double
    /// 95% confidence interval of the slope (Student t, n - 2 degrees of freedom); nil below 3 points.
    public var ci95Per30Days: (low: Double, high: Double)?
    public var intercept: Double

    public static func == (a: TrendFit, b: TrendFit) -> Bool {
        a.n == b.n && a.slopePer30Days == b.slopePer30Days && a.intercept == b.intercept
            && a.ci95Per30Days?.low == b.ci95Per30Days?.low && a.ci95Per30Days?.high == b.ci95Per30Days?.high
    }

    /// Two-sided 95% quantiles of Student's t for 1...30 degrees of freedom.
    static let t975: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
                                 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

    static func tQuantile(df: Int) -> Double { df <= 30 ? t975[df - 1] : 1.960 + 2.4 / Double(df) }

    /// Nil with fewer than 2 points or all on one day.
    public init?(days: [Double], values: [Double]) {
        let n = days.count
        guard n >= 2, n == values.count else { return nil }
        let mx = days.reduce(0, +) / Double(n), my = values.reduce(0, +) / Double(n)
        let sxx = days.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        guard sxx > 0 else { return nil }
        let sxy = zip(days, values).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let slope = sxy / sxx
        self.n = n
        intercept = my - slope * mx
        slopePer30Days = slope * 30
        if n >= 3 {
            let ssr = zip(days, values).reduce(0) { r, p in let e = p.1 - (my + slope * (p.0 - mx)); return r + e * e }
            let se = (ssr / Double(n - 2) / sxx).squareRoot() * 30
            let t = Self.tQuantile(df: n - 2)
            ci95Per30Days = (slopePer30Days - t * se, slopePer30Days + t * se)
        }
    }
}

/// Thickness or echo intensity of one series over its study dates.
public struct TrendMeasure: Sendable, Equatable {
    public var points: [(date: String, day: Double, value: Double)]
    public var baseline: Double
    public var latest: Double
    public var change: Double
    public var changePercent: Double?
    public var fit: TrendFit?
    public var mdc: Double
    /// The change exceeds the MDC in the direction watched and, with 3 or more studies, the
    /// slope's 95% CI excludes zero in that direction.
    public var flagged: Bool
    public var studies: Int { points.count }

    public static func == (a: TrendMeasure, b: TrendMeasure) -> Bool {
        a.points.map(\.value) == b.points.map(\.value) && a.points.map(\.date) == b.points.map(\.date) && a.flagged == b.flagged && a.fit == b.fit
    }

    /// `direction` -1 watches a fall (thickness), +1 a rise (echo intensity). Nil with no points.
    init?(points: [(date: String, day: Double, value: Double)], mdc: Double, direction: Double) {
        guard let first = points.first, let last = points.last else { return nil }
        self.points = points
        baseline = first.value
        latest = last.value
        change = last.value - first.value
        changePercent = first.value != 0 ? 100 * change / first.value : nil
        fit = TrendFit(days: points.map(\.day), values: points.map(\.value))
        self.mdc = mdc
        var flag = points.count >= 2 && direction * change > mdc
        if flag, let ci = fit?.ci95Per30Days {
            flag = direction < 0 ? ci.high < 0 : ci.low > 0
        }
        flagged = flag
    }
}

/// Side-to-side difference on a study date both sides were imaged.
public struct SideDifference: Sendable, Equatable {
    public var date: String
    /// This side minus the other.
    public var thicknessMm: Double?
    public var thicknessPercent: Double?
    public var echoIntensity: Double?
}

/// One patient, muscle and side across studies.
public struct TrendSeries: Sendable, Equatable {
    public var patientId: String
    public var muscle: String
    public var side: String
    /// Study dates, each with the number of clips averaged.
    public var studies: [(date: String, clips: Int)]
    public var thickness: TrendMeasure?
    public var echoIntensity: TrendMeasure?
    /// Rest pennation angle (unsigned, degrees) and fascicle length (mm) over the studies; a fall
    /// beyond the MDC is marked, but `atrophyTrend` rests on the thickness alone.
    public var pennationAngle: TrendMeasure? = nil
    public var fascicleLength: TrendMeasure? = nil
    public var contralateralSide: String?
    public var contralateral: [SideDifference]

    public var atrophyTrend: Bool { thickness?.flagged ?? false }
    public var echoIntensityRising: Bool { echoIntensity?.flagged ?? false }

    public static func == (a: TrendSeries, b: TrendSeries) -> Bool {
        a.patientId == b.patientId && a.muscle == b.muscle && a.side == b.side && a.studies.map(\.date) == b.studies.map(\.date)
            && a.thickness == b.thickness && a.echoIntensity == b.echoIntensity && a.pennationAngle == b.pennationAngle
            && a.fascicleLength == b.fascicleLength && a.contralateral == b.contralateral
    }
}

/// Everything `trend` reports.
public struct TrendReport: Sendable {
    public var series: [TrendSeries]
    public var thresholds: TrendThresholds
    /// Analysed clips left out: no patient id or study date.
    public var unidentifiedClips: Int
    /// Clips whose thickness is in pixels (no calibration): their echo intensity is used, not their thickness.
    public var uncalibratedClips: Int
}

public enum Trend {
    /// Groups clips by patient, muscle and side; averages each study date; fits and flags.
    public static func compute(_ clips: [TrendClip], thresholds: TrendThresholds = TrendThresholds(),
                               unidentified: Int = 0, uncalibrated: Int = 0) -> TrendReport {
        struct Key: Hashable, Comparable {
            var p: String, m: String, s: String
            static func < (a: Key, b: Key) -> Bool { (a.p, a.m, a.s) < (b.p, b.m, b.s) }
        }
        let groups = Dictionary(grouping: clips) { Key(p: $0.patientId, m: $0.muscle, s: $0.side) }
        var series: [TrendSeries] = []
        for key in groups.keys.sorted() {
            let byDate = Dictionary(grouping: groups[key]!, by: \.studyDate)
            let dates = byDate.keys.sorted()
            guard let d0 = dates.first.flatMap(day) else { continue }
            func points(_ value: (TrendClip) -> Double?) -> [(date: String, day: Double, value: Double)] {
                dates.compactMap { d in
                    let v = byDate[d]!.compactMap(value)
                    guard !v.isEmpty, let dd = day(d) else { return nil }
                    return (d, dd - d0, v.reduce(0, +) / Double(v.count))
                }
            }
            series.append(TrendSeries(
                patientId: key.p, muscle: key.m, side: key.s, studies: dates.map { ($0, byDate[$0]!.count) },
                thickness: TrendMeasure(points: points(\.thicknessMm), mdc: thresholds.thicknessMdcMm, direction: -1),
                echoIntensity: TrendMeasure(points: points(\.echoIntensity), mdc: thresholds.echoMdc, direction: 1),
                pennationAngle: TrendMeasure(points: points(\.pennationAngleDeg), mdc: thresholds.pennationMdcDeg, direction: -1),
                fascicleLength: TrendMeasure(points: points(\.fascicleLengthMm), mdc: thresholds.fascicleLengthMdcMm, direction: -1),
                contralateralSide: nil, contralateral: []))
        }
        // The other side of the same patient and muscle, on the dates both were imaged.
        for i in series.indices {
            guard let other = opposite(series[i].side),
                  let j = series.firstIndex(where: { $0.patientId == series[i].patientId && $0.muscle == series[i].muscle && $0.side == other })
            else { continue }
            series[i].contralateralSide = other
            func value(_ m: TrendMeasure?, _ date: String) -> Double? { m?.points.first { $0.date == date }?.value }
            for date in series[i].studies.map(\.date) where series[j].studies.contains(where: { $0.date == date }) {
                let t = value(series[i].thickness, date), to = value(series[j].thickness, date)
                let e = value(series[i].echoIntensity, date), eo = value(series[j].echoIntensity, date)
                series[i].contralateral.append(SideDifference(
                    date: date, thicknessMm: t.flatMap { a in to.map { a - $0 } },
                    thicknessPercent: t.flatMap { a in to.flatMap { $0 != 0 ? 100 * (a - $0) / $0 : nil } },
                    echoIntensity: e.flatMap { a in eo.map { a - $0 } }))
            }
        }
        return TrendReport(series: series, thresholds: thresholds, unidentifiedClips: unidentified, uncalibratedClips: uncalibrated)
    }

    static func opposite(_ side: String) -> String? {
        switch side { case "left": return "right"; case "right": return "left"; default: return nil }
    }

    /// Days since 1970-01-01 of an ISO date.
    static func day(_ iso: String) -> Double? {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var c = DateComponents()
        c.year = parts[0]; c.month = parts[1]; c.day = parts[2]
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: c) else { return nil }
        return (date.timeIntervalSince1970 / 86400).rounded()
    }
}

extension StudyDatabase {
    /// The clips a trend rests on, with filters. Each clip's analysis by `engineVersion` is used
    /// where there is one, else its latest. Returns the clips and how many were left out for
    /// lack of identity, and how many are uncalibrated.
    public func trendClips(engineVersion: String, patient: String? = nil, muscle: String? = nil,
                           side: String? = nil) throws(StudyDBError) -> (clips: [TrendClip], unidentified: Int, uncalibrated: Int) {
        do {
            return try queue.read { db in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT c.patientId, c.muscle, c.side, c.studyDate, a.unit, a.restMuscleThickness, a.meanMuscleThickness, a.meanEchoIntensity,
                           a.restPennationAngleDeg, a.restFascicleLength
                    FROM analyses a JOIN clips c USING (sha256)
                    WHERE a.id = (SELECT a2.id FROM analyses a2 WHERE a2.sha256 = a.sha256
                                  ORDER BY (a2.engineVersion = ?) DESC, a2.analysedAt DESC LIMIT 1)
                    ORDER BY c.patientId, c.muscle, c.side, c.studyDate, a.sha256
                    """, arguments: [engineVersion])
                var clips: [TrendClip] = []
                var unidentified = 0, uncalibrated = 0
                for row in rows {
                    let p: String? = row["patientId"], d: String? = row["studyDate"]
                    let m: String = row["muscle"] ?? "unknown-muscle", s: String = row["side"] ?? "unknown-side"
                    if let patient, p != patient { continue }
                    if let muscle, m != muscle { continue }
                    if let side, s != side { continue }
                    guard let p, let d else { unidentified += 1; continue }
                    let mm = (row["unit"] as String?) == "mm"
                    if !mm { uncalibrated += 1 }
                    let thickness: Double? = mm ? (row["restMuscleThickness"] ?? row["meanMuscleThickness"]) : nil
                    let pennation: Double? = row["restPennationAngleDeg"]
                    clips.append(TrendClip(patientId: p, muscle: m, side: s, studyDate: d, thicknessMm: thickness, echoIntensity: row["meanEchoIntensity"],
                                           pennationAngleDeg: pennation.map(abs), fascicleLengthMm: mm ? row["restFascicleLength"] : nil))
                }
                return (clips, unidentified, uncalibrated)
            }
        } catch {
            throw .failed(path: path, action: "reading", reason: Self.reason(error))
        }
    }
}
