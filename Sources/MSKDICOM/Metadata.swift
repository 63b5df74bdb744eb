import Foundation
import MSKImage

/// Who and what a DICOM file is about: identity and context for batch runs and trends.
///
/// Patient's Name and Birth Date are read only when `DICOMOptions.includePatientNameAndBirthDate`
/// is set; otherwise they stay nil and cannot leak into a report.
public struct DICOMIdentity: Sendable, Codable, Equatable {
    public var patientID: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?
    public var sopClassUID: String?
    /// DICOM DA, "YYYYMMDD".
    public var studyDate: String?
    /// DICOM TM, "HHMMSS.FFFFFF" (any prefix).
    public var studyTime: String?
    public var modality: String?
    /// Laterality (0020,0060), else Image Laterality (0020,0062): "R", "L", "B", "U".
    public var laterality: String?
    public var bodyPartExamined: String?
    public var manufacturer: String?
    public var manufacturerModelName: String?
    /// Transducer Data (0018,5010), else Transducer Type (0018,6031).
    public var transducer: String?
    public var studyDescription: String?
    public var seriesDescription: String?
    /// Number of Frames as the header states it (1 when absent).
    public var numberOfFrames: Int

    public init(patientID: String? = nil, patientName: String? = nil, patientBirthDate: String? = nil,
                studyInstanceUID: String? = nil, seriesInstanceUID: String? = nil, sopInstanceUID: String? = nil,
                sopClassUID: String? = nil, studyDate: String? = nil, studyTime: String? = nil, modality: String? = nil,
                laterality: String? = nil, bodyPartExamined: String? = nil, manufacturer: String? = nil,
                manufacturerModelName: String? = nil, transducer: String? = nil, studyDescription: String? = nil,
                seriesDescription: String? = nil, numberOfFrames: Int = 1) {
        self.patientID = patientID
        self.patientName = patientName
        self.patientBirthDate = patientBirthDate
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.studyDate = studyDate
        self.studyTime = studyTime
        self.modality = modality
        self.laterality = laterality
        self.bodyPartExamined = bodyPartExamined
        self.manufacturer = manufacturer
        self.manufacturerModelName = manufacturerModelName
        self.transducer = transducer
        self.studyDescription = studyDescription
        self.seriesDescription = seriesDescription
        self.numberOfFrames = numberOfFrames
    }
}

/// One item of the Sequence of Ultrasound Regions (0018,6011), PS3.3 C.8.5.5.
public struct UltrasoundRegion: Sendable, Codable, Equatable {
    /// Region Spatial Format (0018,6012): 0 none, 1 2D (tissue or flow), 2 M-mode, 3 spectral, 4 waveform...
    public var spatialFormat: Int
    /// Region Data Type (0018,6014): 1 tissue, 2 colour flow, 3 PW spectral Doppler, ...
    public var dataType: Int
    /// Region Location Min X0, Min Y0, Max X1, Max Y1 (0018,6018/601A/601C/601E): inclusive pixel bounds.
    public var minX0: Int
    public var minY0: Int
    public var maxX1: Int
    public var maxY1: Int
    /// Physical Units X/Y Direction (0018,6024/6026): 3 = cm, 4 = seconds, 0 = none, ...
    public var physicalUnitsX: Int
    public var physicalUnitsY: Int
    /// Physical Delta X/Y (0018,602C/602E): physical size of one pixel in those units.
    public var physicalDeltaX: Double
    public var physicalDeltaY: Double

    public init(spatialFormat: Int, dataType: Int, minX0: Int, minY0: Int, maxX1: Int, maxY1: Int,
                physicalUnitsX: Int, physicalUnitsY: Int, physicalDeltaX: Double, physicalDeltaY: Double) {
        self.spatialFormat = spatialFormat
        self.dataType = dataType
        self.minX0 = minX0
        self.minY0 = minY0
        self.maxX1 = maxX1
        self.maxY1 = maxY1
        self.physicalUnitsX = physicalUnitsX
        self.physicalUnitsY = physicalUnitsY
        self.physicalDeltaX = physicalDeltaX
        self.physicalDeltaY = physicalDeltaY
    }

    /// A 2D tissue region measured in cm in both directions: the one calibration can come from.
    public var isTissue2DInCentimetres: Bool {
        spatialFormat == 1 && dataType == 1 && physicalUnitsX == 3 && physicalUnitsY == 3
    }
}

/// Millimetres per pixel read from the file, and where they came from.
public struct DICOMCalibration: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// Sequence of Ultrasound Regions: PhysicalDeltaX/Y (cm) x 10.
        case ultrasoundRegion = "dicom-us-region"
        /// Pixel Spacing (0028,0030), in mm (row spacing \ column spacing).
        case pixelSpacing = "dicom-pixel-spacing"
    }
    /// [x, y] in mm per pixel.
    public var mmPerPixel: [Double]
    public var source: Source
    /// The 2D tissue region's bounds, for `.ultrasoundRegion`: the imaging region.
    public var region: PixelRect?

    public init(mmPerPixel: [Double], source: Source, region: PixelRect?) {
        self.mmPerPixel = mmPerPixel
        self.source = source
        self.region = region
    }
}

/// When each frame is shown, from Frame Time, Frame Time Vector, Cine Rate or Recommended Display Frame Rate.
public struct FrameTiming: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        case frameTime = "FrameTime"
        case frameTimeVector = "FrameTimeVector"
        case cineRate = "CineRate"
        case recommendedDisplayFrameRate = "RecommendedDisplayFrameRate"
        /// Nothing in the file: 25 fps is assumed, and the times are marked synthesised.
        case assumed
    }
    /// Seconds between frames (the mean, for a frame time vector).
    public var frameIntervalS: Double
    public var source: Source
    /// Frame start times in seconds, from a frame time vector; nil when the interval is constant.
    public var timesS: [Double]?

    public var fps: Double { 1 / frameIntervalS }

    /// The time of frame `index` in seconds.
    public func time(ofFrame index: Int) -> Double {
        if let timesS, index < timesS.count { return timesS[index] }
        return Double(index) * frameIntervalS
    }
}

extension DICOMFile {
    /// Identity and context. Names and birth dates only with `includePatientNameAndBirthDate`.
    public func identity(includePatientNameAndBirthDate: Bool = false) -> DICOMIdentity {
        let ds = dataSet
        func s(_ g: UInt16, _ e: UInt16) -> String? {
            guard let v = ds.string(Tag(g, e))?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let frames = ds.integerString(Tag(0x0028, 0x0008)).map { max(1, $0) } ?? 1
        return DICOMIdentity(
            patientID: s(0x0010, 0x0020),
            patientName: includePatientNameAndBirthDate ? s(0x0010, 0x0010) : nil,
            patientBirthDate: includePatientNameAndBirthDate ? s(0x0010, 0x0030) : nil,
            studyInstanceUID: s(0x0020, 0x000D), seriesInstanceUID: s(0x0020, 0x000E),
            sopInstanceUID: s(0x0008, 0x0018), sopClassUID: s(0x0008, 0x0016),
            studyDate: s(0x0008, 0x0020), studyTime: s(0x0008, 0x0030), modality: s(0x0008, 0x0060),
            laterality: s(0x0020, 0x0060) ?? s(0x0020, 0x0062), bodyPartExamined: s(0x0018, 0x0015),
            manufacturer: s(0x0008, 0x0070), manufacturerModelName: s(0x0008, 0x1090),
            transducer: s(0x0018, 0x5010) ?? s(0x0018, 0x6031),
            studyDescription: s(0x0008, 0x1030), seriesDescription: s(0x0008, 0x103E),
            numberOfFrames: frames)
    }

    /// The items of the Sequence of Ultrasound Regions, in file order (empty when absent).
    /// Items missing a bound or a delta are skipped.
    public func ultrasoundRegions() -> [UltrasoundRegion] {
        guard let items = dataSet.items(Tag(0x0018, 0x6011)) else { return [] }
        return items.compactMap { item in
            func u16(_ e: UInt16) -> Int? { item.uint16(Tag(0x0018, e)).map(Int.init) }
            func u32(_ e: UInt16) -> Int? { item.uint32(Tag(0x0018, e)).map(Int.init) }
            guard let x0 = u32(0x6018), let y0 = u32(0x601A), let x1 = u32(0x601C), let y1 = u32(0x601E) else { return nil }
            return UltrasoundRegion(
                spatialFormat: u16(0x6012) ?? 0, dataType: u16(0x6014) ?? 0,
                minX0: x0, minY0: y0, maxX1: x1, maxY1: y1,
                physicalUnitsX: u16(0x6024) ?? 0, physicalUnitsY: u16(0x6026) ?? 0,
                physicalDeltaX: item.double(Tag(0x0018, 0x602C)) ?? 0, physicalDeltaY: item.double(Tag(0x0018, 0x602E)) ?? 0)
        }
    }

    /// The calibration the file gives, and notes on regions refused.
    ///
    /// The first 2D tissue region in cm whose bounds lie inside the `columns` x `rows` image gives
    /// mm/pixel = PhysicalDelta x 10 and its bounds as the imaging region. A region overrunning the
    /// image by one pixel (Max X1 = Columns, a common off-by-one) is clamped; one further outside is
    /// refused and said so. With no usable region, Pixel Spacing (mm) is used where present.
    public func calibration(columns: Int, rows: Int) -> (DICOMCalibration?, notes: [String]) {
        var notes: [String] = []
        for (i, r) in ultrasoundRegions().enumerated() where r.isTissue2DInCentimetres {
            guard r.physicalDeltaX > 0, r.physicalDeltaY > 0, r.physicalDeltaX < 1e6, r.physicalDeltaY < 1e6 else {
                notes.append("ultrasound region \(i + 1) (2D tissue) has PhysicalDelta \(r.physicalDeltaX), \(r.physicalDeltaY): not a usable calibration")
                continue
            }
            guard r.minX0 <= r.maxX1, r.minY0 <= r.maxY1, r.maxX1 <= columns, r.maxY1 <= rows else {
                notes.append("ultrasound region \(i + 1) (2D tissue) has bounds x \(r.minX0)-\(r.maxX1), y \(r.minY0)-\(r.maxY1) outside the \(columns)x\(rows) image (the image was likely rescaled without its regions); its calibration is not used")
                continue
            }
            let x1 = min(r.maxX1, columns - 1), y1 = min(r.maxY1, rows - 1)
            if x1 != r.maxX1 || y1 != r.maxY1 {
                notes.append("ultrasound region \(i + 1) ends one pixel past the image edge; clamped to it")
            }
            let rect = PixelRect(x: r.minX0, y: r.minY0, width: x1 - r.minX0 + 1, height: y1 - r.minY0 + 1)
            return (DICOMCalibration(mmPerPixel: [r.physicalDeltaX * 10, r.physicalDeltaY * 10], source: .ultrasoundRegion, region: rect), notes)
        }
        if let spacing = dataSet.decimals(Tag(0x0028, 0x0030)), spacing.count == 2,
           spacing.allSatisfy({ $0 > 0 && $0 < 1e6 }) {
            // Pixel Spacing is row spacing (y) \ column spacing (x).
            return (DICOMCalibration(mmPerPixel: [spacing[1], spacing[0]], source: .pixelSpacing, region: nil), notes)
        }
        return (nil, notes)
    }

    /// Frame timing: Frame Time (ms), else Frame Time Vector (ms increments), else Cine Rate,
    /// else Recommended Display Frame Rate (fps), else 25 fps marked as assumed.
    public func frameTiming(frameCount: Int) -> FrameTiming {
        let ds = dataSet
        // Intervals outside 1 microsecond .. 1 day are corrupt values, not timing.
        let plausibleMs = { (ms: Double) in ms >= 1e-3 && ms <= 86_400_000 }
        let plausibleFps = { (fps: Double) in fps >= 1.0 / 86_400 && fps <= 1e6 }
        if let ms = ds.decimal(Tag(0x0018, 0x1063)), plausibleMs(ms) {
            return FrameTiming(frameIntervalS: ms / 1000, source: .frameTime, timesS: nil)
        }
        if let vector = ds.decimals(Tag(0x0018, 0x1065)), vector.count >= 2,
           vector.dropFirst().allSatisfy(plausibleMs) {
            // The first entry is 0 (the first frame); each next one is the increment to that frame.
            var times: [Double] = []
            var t = 0.0
            for (i, v) in vector.enumerated() {
                if i > 0 { t += v / 1000 }
                times.append(t)
            }
            let mean = times.count > 1 ? times[times.count - 1] / Double(times.count - 1) : 1.0 / 25
            return FrameTiming(frameIntervalS: mean, source: .frameTimeVector, timesS: times)
        }
        for (tag, source) in [(Tag(0x0018, 0x0040), FrameTiming.Source.cineRate),
                              (Tag(0x0008, 0x2144), .recommendedDisplayFrameRate)] {
            if let fps = ds.decimal(tag), plausibleFps(fps) {
                return FrameTiming(frameIntervalS: 1 / fps, source: source, timesS: nil)
            }
        }
        return FrameTiming(frameIntervalS: 1.0 / 25, source: .assumed, timesS: nil)
    }
}
