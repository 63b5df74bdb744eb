import Foundation

extension SimulationParameters {
    /// Varied, realistic parameters for `tearCase`, drawn from `seed` (same seed, same parameters).
    /// Frame size, calibration, canvas, frame count and fps are the caller's; the anatomy is fitted
    /// to the depth the imaging region shows.
    public static func preset(case tearCase: TearCase, seed: UInt64, width: Int = 480, height: Int = 360,
                              mmPerPixel: Double = 0.1, frameCount: Int = 75, fps: Double = 25,
                              exportCanvas: Bool = false) -> SimulationParameters {
        var r = SplitMix64(seed: mix64(seed ^ 0x9E5E7))
        var p = SimulationParameters()
        p.tearCase = tearCase
        p.seed = seed
        p.width = width; p.height = height
        p.mmPerPixelX = mmPerPixel; p.mmPerPixelY = mmPerPixel
        p.frameCount = frameCount; p.fps = fps
        p.exportCanvas = exportCanvas

        p.frequencyMHz = (r.uniform(6...12) * 2).rounded() / 2
        p.lateralFNumber = r.uniform(3.5...6)
        p.pulseCycles = r.uniform(2.5...4)
        p.fascicleContrast = r.uniform(2...4)
        p.dynamicRangeDb = (r.uniform(50...60)).rounded()
        p.gainDb = r.uniform(-6...2)
        p.noiseLevel = r.uniform(0.003...0.008)
        p.attenuationDbPerCmMHz = r.uniform(0.3...0.5)
        p.skinThicknessMm = r.uniform(1.2...2)
        p.fatThicknessMm = r.uniform(2...6)
        p.aponeurosisThicknessMm = r.uniform(0.8...1.4)
        p.pennationDeg = r.uniform(12...25)
        p.fascicleDirection = r.unit() < 0.5 ? 1 : -1
        p.fascicleSpacingMm = r.uniform(1.0...2.2)
        p.axisTiltDeg = r.uniform(-3...4)
        p.aponeurosisCurvatureMm = r.uniform(0...1.5)
        p.bone = r.unit() < 0.7

        let region = exportCanvas ? ExportCanvas.imagingRegion(width: width, height: height)
            : .init(x: 0, y: 0, width: width, height: height)
        let depth = Double(region.height) * mmPerPixel
        let top = 0.2 + p.skinThicknessMm + p.fatThicknessMm + 2 * p.aponeurosisThicknessMm + 1.5
        let room = depth - top - 4
        p.restThicknessMm = max(6, min(room / 1.25, r.uniform(14...24)))

        p.thickening = r.uniform(0.08...0.2)
        p.shortening = r.uniform(0.02...0.04)
        p.jitterMm = r.uniform(0.15...0.35)
        p.decorrelationPerFrame = r.uniform(0.008...0.02)
        p.decorrelationWithContraction = r.uniform(0.2...0.5)
        let cycles = r.unit() < 0.6 ? 1 : 2
        p.contraction = ContractionProfile(cycles: cycles, leadRest: r.uniform(0.1...0.2),
                                           ramp: r.uniform(0.15...0.22), hold: r.uniform(0.15...0.3))
        p.defectCentreFraction = r.uniform(0.4...0.6)
        p.debris = r.uniform(0.3...0.8)
        p.fluidEchogenicity = r.uniform(0.03...0.06)

        switch tearCase {
        case .full:
            p.restGapMm = r.uniform(4...9)
            p.gapWideningMm = r.uniform(3...7)
            p.faceRaggedness = r.uniform(0.1...0.2)
        case .fullSubtle:
            p.restGapMm = r.uniform(1...2)
            p.gapWideningMm = r.uniform(3...5)
            p.faceRaggedness = r.uniform(0.1...0.15)
            p.debris = r.uniform(0.2...0.4)
        case .partial:
            p.restGapMm = r.uniform(4...8)
            p.gapWideningMm = 0
            p.partialDepthFraction = r.uniform(0.3...0.6)
            p.partialSite = DefectSite.allCases[Int(r.next() % 3)]
            p.shortening = r.uniform(0.02...0.035)
            p.faceRaggedness = r.uniform(0.08...0.15)
        case .none:
            p.restGapMm = 0
            p.gapWideningMm = 0
            p.distractor = Distractor.allCases[Int(r.next() % 3)]
        }
        return p
    }
}

/// Serial studies of one patient, muscle and side, for atrophy trends.
public enum SerialStudy {
    /// `studies` parameter sets `intervalDays` apart from `baseDate` (`YYYY-MM-DD`). Thickness falls by
    /// `thicknessLossMmPer30Days` and belly echo intensity rises by `echoRisePer30Days` grey levels,
    /// both linearly in time; the anatomy is shared, each study has its own speckle and probe motion.
    public static func series(patientId: String, muscle: String = "rectus-femoris", side: String = "right",
                              baseDate: String, studies: Int = 4, intervalDays: Int = 28,
                              thicknessLossMmPer30Days: Double, echoRisePer30Days: Double, seed: UInt64,
                              width: Int = 480, height: Int = 360, mmPerPixel: Double = 0.1,
                              frameCount: Int = 60, fps: Double = 20) -> [SimulationParameters] {
        let base = SimulationParameters.preset(case: .none, seed: seed, width: width, height: height,
                                               mmPerPixel: mmPerPixel, frameCount: frameCount, fps: fps)
        let baseDay = daysFromCivil(baseDate) ?? 0
        return (0..<studies).map { i in
            var p = base
            let days = Double(i * intervalDays)
            p.seed = mix64(seed &+ UInt64(i) &+ 1)
            p.anatomySeed = seed
            p.distractor = .none
            p.patientId = patientId
            p.muscle = muscle
            p.side = side
            p.studyIndex = i
            p.studyDate = civilFromDays(baseDay + i * intervalDays)
            p.restThicknessMm = base.restThicknessMm - thicknessLossMmPer30Days * days / 30
            p.bellyEchoOffsetDb = echoRisePer30Days * days / 30 * p.dynamicRangeDb / 255
            p.thicknessLossMmPer30Days = thicknessLossMmPer30Days
            p.echoRisePer30Days = echoRisePer30Days
            return p
        }
    }

    /// A declining patient: 0.6 mm and +3 grey levels per 30 days over four studies four weeks apart.
    public static func decliningPatient() -> [SimulationParameters] {
        series(patientId: "P101", baseDate: "2026-01-12", thicknessLossMmPer30Days: 0.6,
               echoRisePer30Days: 3, seed: 1101)
    }

    /// A stable patient: no set change over four studies four weeks apart.
    public static func stablePatient() -> [SimulationParameters] {
        series(patientId: "P102", side: "left", baseDate: "2026-01-19", thicknessLossMmPer30Days: 0,
               echoRisePer30Days: 0, seed: 1102)
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian; Hinnant's algorithm).
    public static func daysFromCivil(_ date: String) -> Int? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        let m = parts[1], d = parts[2]
        let y = parts[0] - (m <= 2 ? 1 : 0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DD` of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}

/// One clip of the committed sample set.
public struct SamplePreset: Sendable {
    public let name: String
    public let parameters: SimulationParameters
    /// Suggested codec for the writer (`h264`, `mpeg4`, `mjpeg`, `ffv1`), so the set covers several.
    public let codec: String
}

/// The sample set: every case, several sizes, pennation angles, pixel spacings, frame rates, with
/// and without the export canvas, plus a declining and a stable serial-study series (4 studies each).
public enum SamplePresets {
    /// Built once (a computed property rebuilt all 16 parameter sets on every access).
    public static let all: [SamplePreset] = {
        func make(_ name: String, _ c: TearCase, seed: UInt64, _ w: Int, _ h: Int, mm: Double, frames: Int,
                  fps: Double, canvas: Bool, codec: String, pennation: Double? = nil, patient: String,
                  date: String, _ tweak: (inout SimulationParameters) -> Void = { _ in }) -> SamplePreset {
            var p = SimulationParameters.preset(case: c, seed: seed, width: w, height: h, mmPerPixel: mm,
                                                frameCount: frames, fps: fps, exportCanvas: canvas)
            if let pennation { p.pennationDeg = pennation }
            p.patientId = patient
            p.studyDate = date
            tweak(&p)
            return SamplePreset(name: name, parameters: p, codec: codec)
        }
        var list: [SamplePreset] = [
            make("full_01", .full, seed: 101, 480, 360, mm: 0.1, frames: 75, fps: 25, canvas: false, codec: "h264",
                 pennation: 15, patient: "P001", date: "2026-01-10"),
            make("full_02", .full, seed: 102, 640, 480, mm: 0.08, frames: 90, fps: 30, canvas: true, codec: "h264",
                 pennation: 22, patient: "P002", date: "2026-01-14"),
            make("subtle_01", .fullSubtle, seed: 201, 480, 360, mm: 0.1, frames: 75, fps: 25, canvas: false,
                 codec: "h264", pennation: 18, patient: "P004", date: "2026-02-02"),
            make("subtle_02", .fullSubtle, seed: 202, 512, 384, mm: 0.09, frames: 66, fps: 22, canvas: true,
                 codec: "mjpeg", pennation: 24, patient: "P005", date: "2026-02-05"),
            make("partial_01", .partial, seed: 301, 480, 360, mm: 0.1, frames: 75, fps: 25, canvas: false,
                 codec: "h264", pennation: 16, patient: "P006", date: "2026-02-11") { $0.partialSite = .deep },
            make("partial_02", .partial, seed: 302, 384, 288, mm: 0.13, frames: 60, fps: 20, canvas: true,
                 codec: "ffv1", pennation: 20, patient: "P007", date: "2026-02-16") {
                $0.partialSite = .superficial
                $0.contraction = ContractionProfile(cycles: 2)
            },
            make("none_01", .none, seed: 401, 480, 360, mm: 0.1, frames: 60, fps: 25, canvas: false, codec: "h264",
                 pennation: 14, patient: "P008", date: "2026-03-01") { $0.distractor = .vessel },
            make("none_02", .none, seed: 402, 640, 480, mm: 0.15, frames: 75, fps: 30, canvas: true, codec: "mpeg4",
                 pennation: 25, patient: "P009", date: "2026-03-03") { $0.distractor = .darkBand },
        ]
        for (prefix, series) in [("serial_decline", SerialStudy.decliningPatient()), ("serial_stable", SerialStudy.stablePatient())] {
            for p in series {
                list.append(SamplePreset(name: "\(prefix)_s\((p.studyIndex ?? 0) + 1)", parameters: p, codec: "h264"))
            }
        }
        return list
    }()
}
