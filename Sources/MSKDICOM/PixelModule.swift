import Foundation

/// A palette colour lookup table (one channel): descriptor and 8-bit-scaled entries.
public struct PaletteLUT: Sendable, Equatable {
    /// First stored pixel value mapped (values below map to entry 0).
    public let firstMapped: Int
    /// Entries, as given (8- or 16-bit).
    public let entries: [UInt16]
    /// Bits per entry in the descriptor (8 or 16).
    public let bits: Int

    /// The entry for a stored value, as 8 bits (16-bit entries keep their high byte).
    @inline(__always)
    func value8(_ stored: Int) -> UInt8 {
        let i = min(max(stored - firstMapped, 0), entries.count - 1)
        let v = entries[i]
        return bits > 8 ? UInt8(truncatingIfNeeded: v >> 8) : UInt8(truncatingIfNeeded: v)
    }
}

/// The Image Pixel module of a file, checked for consistency, and where each frame's bytes are.
public struct PixelModule: Sendable {
    public let rows: Int
    public let columns: Int
    public let samplesPerPixel: Int
    public let bitsAllocated: Int
    public let bitsStored: Int
    public let highBit: Int
    /// 0 unsigned, 1 two's complement.
    public let pixelRepresentation: Int
    /// "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422", "PALETTE COLOR", ...
    public let photometric: String
    /// 0 colour-by-pixel (RGBRGB...), 1 colour-by-plane (RRR...GGG...BBB...).
    public let planarConfiguration: Int
    /// Frames in the file (Number of Frames, else 1), possibly reduced when pixel data is short.
    public let frameCount: Int
    /// Red, green, blue palette tables, for PALETTE COLOR.
    public let palette: (red: PaletteLUT, green: PaletteLUT, blue: PaletteLUT)?
    /// First Window Center/Width pair, if present (used for >8-bit grey).
    public let window: (center: Double, width: Double)?
    public let rescaleSlope: Double
    public let rescaleIntercept: Double

    /// Where each frame is: native frames as one byte range, encapsulated frames as fragment ranges.
    public enum Storage: Sendable {
        case native(offset: Int, frameBytes: Int)
        case encapsulated(frames: [[Range<Int>]])
        /// Video syntaxes: every fragment, in order, forms one elementary stream.
        case videoStream(fragments: [Range<Int>])
    }
    public let storage: Storage

    /// Bytes per native frame.
    public var nativeFrameBytes: Int {
        let pixels = rows * columns
        if photometric == "YBR_FULL_422" && samplesPerPixel == 3 && bitsAllocated == 8 { return pixels * 2 }
        return pixels * samplesPerPixel * (bitsAllocated / 8)
    }
}

extension PixelModule: Equatable {
    public static func == (a: PixelModule, b: PixelModule) -> Bool {
        a.rows == b.rows && a.columns == b.columns && a.samplesPerPixel == b.samplesPerPixel && a.bitsAllocated == b.bitsAllocated
            && a.bitsStored == b.bitsStored && a.photometric == b.photometric && a.frameCount == b.frameCount
            && a.planarConfiguration == b.planarConfiguration
    }
}

extension DICOMFile {
    /// Reads and checks the Image Pixel module and locates every frame. Throws `noPixelData` or
    /// `unsupportedImage` for anything the decoders cannot take.
    public func pixelModule(maxDimension: Int = 16_384) throws(DICOMError) -> (PixelModule, [String]) {
        let ds = dataSet
        var warnings: [String] = []
        guard let pixel = ds[.pixelData] else { throw .noPixelData(path: path) }
        func need(_ tag: Tag, _ name: String) throws(DICOMError) -> Int {
            guard let v = ds.uint16(tag) else { throw .unsupportedImage(path: path, reason: "\(name) \(tag) is missing") }
            return Int(v)
        }
        let rows = try need(Tag(0x0028, 0x0010), "Rows")
        let columns = try need(Tag(0x0028, 0x0011), "Columns")
        guard rows > 0, columns > 0, rows <= maxDimension, columns <= maxDimension else {
            throw .unsupportedImage(path: path, reason: "the image size \(columns)x\(rows) is empty or beyond the \(maxDimension) limit")
        }
        let spp = ds.uint16(Tag(0x0028, 0x0002)).map(Int.init) ?? 1
        let bitsAllocated = try need(Tag(0x0028, 0x0100), "Bits Allocated")
        let bitsStored = ds.uint16(Tag(0x0028, 0x0101)).map(Int.init) ?? bitsAllocated
        let highBit = ds.uint16(Tag(0x0028, 0x0102)).map(Int.init) ?? (bitsStored - 1)
        let representation = ds.uint16(Tag(0x0028, 0x0103)).map(Int.init) ?? 0
        var photometric = (ds.string(Tag(0x0028, 0x0004)) ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if photometric.isEmpty { photometric = spp == 3 ? "RGB" : "MONOCHROME2" }
        let planar = ds.uint16(Tag(0x0028, 0x0006)).map(Int.init) ?? 0
        guard spp == 1 || spp == 3 else { throw .unsupportedImage(path: path, reason: "\(spp) samples per pixel (only 1 or 3 are supported)") }
        guard bitsAllocated == 8 || bitsAllocated == 16 else {
            throw .unsupportedImage(path: path, reason: "Bits Allocated is \(bitsAllocated) (only 8 and 16 are supported)")
        }
        guard bitsStored >= 1, bitsStored <= bitsAllocated else {
            throw .unsupportedImage(path: path, reason: "Bits Stored \(bitsStored) does not fit Bits Allocated \(bitsAllocated)")
        }
        let monochrome = ["MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"]
        let colour = ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "YBR_PARTIAL_420"]
        if spp == 1 && !monochrome.contains(photometric) || spp == 3 && !colour.contains(photometric) {
            throw .unsupportedImage(path: path, reason: "photometric interpretation '\(photometric)' with \(spp) samples per pixel is not supported")
        }
        if spp == 3 && bitsAllocated != 8 {
            throw .unsupportedImage(path: path, reason: "colour pixel data of \(bitsAllocated) bits (only 8-bit colour is supported)")
        }
        if !transferSyntax.isEncapsulated && ["YBR_RCT", "YBR_ICT", "YBR_PARTIAL_420"].contains(photometric) {
            throw .unsupportedImage(path: path, reason: "photometric interpretation '\(photometric)' in native pixel data")
        }
        var declaredFrames = 1
        if let nf = ds.integerString(Tag(0x0028, 0x0008)) {
            guard nf >= 1 else { throw .unsupportedImage(path: path, reason: "Number of Frames is \(nf)") }
            declaredFrames = nf
        }
        var palette: (PaletteLUT, PaletteLUT, PaletteLUT)?
        if photometric == "PALETTE COLOR" {
            palette = try readPalette()
        }
        var window: (Double, Double)?
        // Only finite values: DS text may say "NaN" or "1e999", which Double() accepts.
        if let c = ds.decimal(Tag(0x0028, 0x1050)), let w = ds.decimal(Tag(0x0028, 0x1051)),
           c.isFinite, w.isFinite, w > 1, abs(c) < 1e12, w < 1e12 { window = (c, w) }
        let slope = ds.decimal(Tag(0x0028, 0x1053)).flatMap { $0.isFinite && abs($0) < 1e12 && $0 != 0 ? $0 : nil } ?? 1
        let intercept = ds.decimal(Tag(0x0028, 0x1052)).flatMap { $0.isFinite && abs($0) < 1e12 ? $0 : nil } ?? 0

        var frames = declaredFrames
        let storage: PixelModule.Storage
        if let fragments = pixel.fragments {
            guard transferSyntax.isEncapsulated else {
                throw .unsupportedImage(path: path, reason: "encapsulated pixel data under the uncompressed transfer syntax \(transferSyntax.uid)")
            }
            guard fragments.count >= 2 else { throw .unsupportedImage(path: path, reason: "the encapsulated pixel data holds no fragment") }
            if transferSyntax.isVideo {
                storage = .videoStream(fragments: Array(fragments.dropFirst()))
            } else {
                let split = try splitFrames(fragments: fragments, frameCount: declaredFrames)
                if split.count < declaredFrames {
                    warnings.append("Number of Frames is \(declaredFrames) but the pixel data holds \(split.count) frames: the file may be cut short")
                }
                frames = min(declaredFrames, split.count)
                storage = .encapsulated(frames: Array(split.prefix(frames)))
            }
        } else {
            guard !transferSyntax.isEncapsulated else {
                throw .unsupportedImage(path: path, reason: "native pixel data under the compressed transfer syntax \(transferSyntax.name)")
            }
            let probe = PixelModule(rows: rows, columns: columns, samplesPerPixel: spp, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
                                    highBit: highBit, pixelRepresentation: representation, photometric: photometric, planarConfiguration: planar,
                                    frameCount: 1, palette: nil, window: nil, rescaleSlope: 1, rescaleIntercept: 0,
                                    storage: .native(offset: 0, frameBytes: 0))
            let frameBytes = probe.nativeFrameBytes
            let available = pixel.length / frameBytes
            if available < declaredFrames {
                guard available > 0 else {
                    throw .unsupportedImage(path: path, reason: "the pixel data holds \(pixel.length) bytes, less than one \(columns)x\(rows) frame (\(frameBytes) bytes)")
                }
                warnings.append("Number of Frames is \(declaredFrames) but the pixel data holds \(available) complete frames: the file may be cut short")
                frames = available
            }
            storage = .native(offset: pixel.offset, frameBytes: frameBytes)
        }
        let module = PixelModule(rows: rows, columns: columns, samplesPerPixel: spp, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
                                 highBit: highBit, pixelRepresentation: representation, photometric: photometric,
                                 planarConfiguration: planar, frameCount: frames,
                                 palette: palette.map { (red: $0.0, green: $0.1, blue: $0.2) },
                                 window: window.map { (center: $0.0, width: $0.1) },
                                 rescaleSlope: slope, rescaleIntercept: intercept, storage: storage)
        return (module, warnings)
    }

    private func readPalette() throws(DICOMError) -> (PaletteLUT, PaletteLUT, PaletteLUT) {
        func lut(_ descriptorTag: Tag, _ dataTag: Tag, _ segmentedTag: Tag, _ name: String) throws(DICOMError) -> PaletteLUT {
            guard let d = dataSet.uint16s(descriptorTag), d.count >= 3 else {
                throw .unsupportedImage(path: path, reason: "PALETTE COLOR without a valid \(name) palette descriptor \(descriptorTag)")
            }
            let count = d[0] == 0 ? 65536 : Int(d[0])
            let first = Int(d[1]) // US; an SS first value is read as its bit pattern
            let bits = Int(d[2])
            guard let raw = dataSet.bytes(dataTag) else {
                if dataSet[segmentedTag] != nil {
                    throw .unsupportedImage(path: path, reason: "segmented palette colour lookup tables are not supported")
                }
                throw .unsupportedImage(path: path, reason: "PALETTE COLOR without \(name) palette data \(dataTag)")
            }
            var entries: [UInt16]
            if raw.count == count {
                // 8-bit entries packed one per byte (seen in some files despite OW).
                entries = raw.map { UInt16($0) }
            } else {
                entries = dataSet.uint16s(dataTag) ?? []
            }
            guard entries.count >= count, count > 0 else {
                throw .unsupportedImage(path: path, reason: "the \(name) palette holds \(entries.count) entries, its descriptor says \(count)")
            }
            entries = Array(entries.prefix(count))
            // Descriptor says 8 bits but entries are 16-bit words holding 8-bit values: keep them as 8-bit.
            let effectiveBits = bits == 8 ? 8 : 16
            return PaletteLUT(firstMapped: first, entries: entries, bits: effectiveBits)
        }
        return (try lut(Tag(0x0028, 0x1101), Tag(0x0028, 0x1201), Tag(0x0028, 0x1221), "red"),
                try lut(Tag(0x0028, 0x1102), Tag(0x0028, 0x1202), Tag(0x0028, 0x1222), "green"),
                try lut(Tag(0x0028, 0x1103), Tag(0x0028, 0x1203), Tag(0x0028, 0x1223), "blue"))
    }

    /// Splits encapsulated fragments (the first being the basic offset table) into frames.
    func splitFrames(fragments: [Range<Int>], frameCount: Int) throws(DICOMError) -> [[Range<Int>]] {
        let data = Array(fragments.dropFirst())
        let base = data[0].lowerBound - 8 // offsets count from the first fragment's item tag
        // Each fragment's offset from the first fragment's item tag, as offset tables count.
        var fragmentAt: [Int: Int] = [:]
        for (i, r) in data.enumerated() { fragmentAt[r.lowerBound - 8 - base] = i }
        func frames(startingAt offsets: [Int]) throws(DICOMError) -> [[Range<Int>]] {
            var starts: [Int] = []
            starts.reserveCapacity(offsets.count)
            for (i, offset) in offsets.enumerated() {
                guard let at = fragmentAt[offset] else {
                    throw .malformed(path: path, offset: base, reason: "offset table entry \(i) (\(offset)) does not point at a fragment")
                }
                if let last = starts.last, at <= last {
                    throw .malformed(path: path, offset: base, reason: "offset table entry \(i) (\(offset)) repeats the one before")
                }
                starts.append(at)
            }
            guard starts.first == 0 else {
                throw .malformed(path: path, offset: base, reason: "the offset table does not start at the first fragment")
            }
            return starts.indices.map { i in
                Array(data[starts[i]..<(i + 1 < starts.count ? starts[i + 1] : data.count)])
            }
        }
        // 1. Extended Offset Table (7FE0,0001) with its lengths (7FE0,0002).
        if let eot = dataSet.uint64s(.extendedOffsetTable), !eot.isEmpty {
            let offsets = eot.map { Int(clamping: $0) }
            guard offsets == offsets.sorted() else {
                throw .malformed(path: path, offset: base, reason: "the extended offset table is not ascending")
            }
            return try frames(startingAt: offsets)
        }
        // 2. Basic Offset Table (first item).
        let botRange = fragments[0]
        if botRange.count >= 4 {
            var offsets: [Int] = []
            let bot = dataSet.buffer.bytes(botRange)
            bot.withUnsafeBytes { raw in
                for i in 0..<(raw.count / 4) {
                    let v = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    offsets.append(Int(dataSet.buffer.bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)))
                }
            }
            guard offsets == offsets.sorted() else {
                throw .malformed(path: path, offset: botRange.lowerBound, reason: "the basic offset table is not ascending")
            }
            return try frames(startingAt: offsets)
        }
        // 3. No table: one fragment per frame, all fragments as one frame, or split at markers.
        if data.count == frameCount { return data.map { [$0] } }
        if frameCount == 1 { return [data] }
        let starts = data.indices.filter { index in
            let r = data[index]
            guard r.count >= 2 else { return false }
            let b = dataSet.buffer.bytes(r.lowerBound..<(r.lowerBound + 2))
            let b0 = b[b.startIndex], b1 = b[b.startIndex + 1]
            return b0 == 0xFF && (b1 == 0xD8 || b1 == 0x4F) // JPEG SOI, JPEG 2000 SOC
                || (r.count >= 12 && b0 == 0x00 && b1 == 0x00 && transferSyntax.compression == .jpeg2000) // JP2 box
        }
        guard transferSyntax.compression != .rle, starts.first == 0 else {
            throw .unsupportedImage(path: path, reason: "\(data.count) fragments for \(frameCount) frames and no offset table to tell the frames apart")
        }
        var result: [[Range<Int>]] = []
        for (i, s) in starts.enumerated() {
            let e = i + 1 < starts.count ? starts[i + 1] : data.count
            result.append(Array(data[s..<e]))
        }
        return result
    }
}
