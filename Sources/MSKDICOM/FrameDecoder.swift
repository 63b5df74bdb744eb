import Foundation

/// One frame's stored samples, as the file holds them once uncompressed: interleaved
/// (colour-by-pixel, whatever the planar configuration), YBR_FULL_422 expanded to full YBR,
/// palette indices not yet looked up. This is what pydicom's `pixel_array` gives.
public struct RawFrame: Sendable, Equatable {
    public enum Samples: Sendable, Equatable {
        case uint8([UInt8])
        /// 16-bit samples, masked to Bits Stored (two's complement kept as its bit pattern).
        case uint16([UInt16])
    }
    public let width: Int
    public let height: Int
    public let samplesPerPixel: Int
    public let samples: Samples
}

extension DICOMFile {
    /// The bytes of compressed frame `index`: its fragments concatenated (JPEG, JPEG-LS,
    /// JPEG 2000, RLE). Throws for native pixel data or an index out of range.
    public func compressedFrameBytes(_ index: Int, module: PixelModule) throws(DICOMError) -> [UInt8] {
        guard case .encapsulated(let frames) = module.storage else {
            throw .frameDecodingFailed(path: path, frame: index, reason: "the pixel data is not encapsulated frame by frame")
        }
        guard frames.indices.contains(index) else {
            throw .frameDecodingFailed(path: path, frame: index, reason: "there are \(frames.count) frames")
        }
        return concatenated(frames[index])
    }

    /// For the video transfer syntaxes (H.264, HEVC, MPEG-2): every fragment in order, which
    /// together form one elementary stream. Nil for any other storage.
    public func videoStreamBytes(module: PixelModule) -> [UInt8]? {
        guard case .videoStream(let fragments) = module.storage else { return nil }
        return concatenated(fragments)
    }

    /// The bytes of `fragments`, one after another.
    private func concatenated(_ fragments: [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fragments.reduce(0) { $0 + $1.count })
        for range in fragments { out.append(contentsOf: dataSet.buffer.bytes(range)) }
        return out
    }

    /// Decodes frame `index` of native or RLE pixel data to its stored samples.
    /// Throws `frameDecodingFailed` for corrupt data, `unsupportedTransferSyntax` for syntaxes
    /// that need a codec (JPEG and the rest go through libavcodec in MSKReader).
    public func rawFrame(_ index: Int, module m: PixelModule) throws(DICOMError) -> RawFrame {
        guard index >= 0, index < m.frameCount else {
            throw .frameDecodingFailed(path: path, frame: index, reason: "there are \(m.frameCount) frames")
        }
        let pixels = m.rows * m.columns
        let bytesPerSample = m.bitsAllocated / 8
        switch m.storage {
        case .native(let offset, let frameBytes):
            let start = offset + index * frameBytes
            let data = dataSet.buffer.bytes(start..<(start + frameBytes))
            return data.withUnsafeBytes { raw in nativeSamples(raw, m) }
        case .encapsulated:
            guard transferSyntax.compression == .rle else {
                throw .unsupportedTransferSyntax(path: path, uid: transferSyntax.uid, name: transferSyntax.name + " (needs a codec)")
            }
            let bytes = try compressedFrameBytes(index, module: m)
            let planes = try RLE.decode(bytes, segments: m.samplesPerPixel * bytesPerSample, segmentLength: pixels)
                .mapError { DICOMError.frameDecodingFailed(path: path, frame: index, reason: $0.reason) }.get()
            // Segments: for each sample, most significant byte first. Interleave into samples.
            if bytesPerSample == 1 {
                if m.samplesPerPixel == 1 { return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: 1, samples: .uint8(planes[0])) }
                var out = [UInt8](repeating: 0, count: pixels * m.samplesPerPixel)
                for s in 0..<m.samplesPerPixel {
                    let plane = planes[s]
                    for p in 0..<pixels { out[p * m.samplesPerPixel + s] = plane[p] }
                }
                return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: m.samplesPerPixel, samples: .uint8(out))
            }
            let mask = m.bitsStored >= 16 ? UInt16.max : UInt16((1 << m.bitsStored) - 1)
            var out = [UInt16](repeating: 0, count: pixels * m.samplesPerPixel)
            for s in 0..<m.samplesPerPixel {
                let hi = planes[2 * s], lo = planes[2 * s + 1]
                for p in 0..<pixels { out[p * m.samplesPerPixel + s] = (UInt16(hi[p]) << 8 | UInt16(lo[p])) & mask }
            }
            return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: m.samplesPerPixel, samples: .uint16(out))
        case .videoStream:
            throw .unsupportedTransferSyntax(path: path, uid: transferSyntax.uid, name: transferSyntax.name + " (needs a codec)")
        }
    }

    private func nativeSamples(_ raw: UnsafeRawBufferPointer, _ m: PixelModule) -> RawFrame {
        let pixels = m.rows * m.columns
        let spp = m.samplesPerPixel
        if m.bitsAllocated == 16 {
            let mask = m.bitsStored >= 16 ? UInt16.max : UInt16((1 << m.bitsStored) - 1)
            let big = dataSet.buffer.bigEndian
            let count = pixels * spp
            var words = [UInt16](repeating: 0, count: count)
            for i in 0..<count {
                let v = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                words[i] = (big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)) & mask
            }
            if spp == 3 && m.planarConfiguration == 1 { words = Self.interleave(planes: words, pixels: pixels) }
            return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: spp, samples: .uint16(words))
        }
        if m.photometric == "YBR_FULL_422" && spp == 3 {
            // Y0 Y1 Cb Cr for each pair of pixels: expand, repeating the chroma (as pydicom does).
            var out = [UInt8](repeating: 0, count: pixels * 3)
            for pair in 0..<(pixels / 2) {
                let y0 = raw[4 * pair], y1 = raw[4 * pair + 1], cb = raw[4 * pair + 2], cr = raw[4 * pair + 3]
                out[6 * pair] = y0; out[6 * pair + 1] = cb; out[6 * pair + 2] = cr
                out[6 * pair + 3] = y1; out[6 * pair + 4] = cb; out[6 * pair + 5] = cr
            }
            return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: 3, samples: .uint8(out))
        }
        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: raw[0..<(pixels * spp)]))
        if spp == 3 && m.planarConfiguration == 1 { bytes = Self.interleave(planes: bytes, pixels: pixels) }
        if m.bitsStored < 8 {
            let mask = UInt8((1 << m.bitsStored) - 1)
            for i in bytes.indices { bytes[i] &= mask }
        }
        return RawFrame(width: m.columns, height: m.rows, samplesPerPixel: spp, samples: .uint8(bytes))
    }

    /// RRR..GGG..BBB.. to RGBRGB...
    static func interleave<T>(planes: [T], pixels: Int) -> [T] {
        var out = planes
        for p in 0..<pixels {
            out[3 * p] = planes[p]
            out[3 * p + 1] = planes[pixels + p]
            out[3 * p + 2] = planes[2 * pixels + p]
        }
        return out
    }
}

/// 8-bit display conversions of a raw frame, in Swift. Grey levels are data: 8-bit grey is
/// passed through as stored; only the conversions named here change values.
public enum DisplayConversion {
    /// 8-bit grey for a monochrome frame: MONOCHROME2 8-bit as stored; MONOCHROME1 inverted
    /// (255 - v); 16-bit through the file's first VOI window when it has one, else the top
    /// 8 of Bits Stored. Nil for colour frames (convert them to RGB first).
    public static func grey8(_ frame: RawFrame, module m: PixelModule) -> [UInt8]? {
        guard frame.samplesPerPixel == 1, m.photometric.hasPrefix("MONOCHROME") else { return nil }
        let invert = m.photometric == "MONOCHROME1"
        switch frame.samples {
        case .uint8(let v):
            return invert ? v.map { 255 - $0 } : v
        case .uint16(let v):
            let signed = m.pixelRepresentation == 1
            let bits = max(1, min(16, m.bitsStored))
            func value(_ w: UInt16) -> Double {
                var x = Int(w)
                if signed && bits < 17 && x >= 1 << (bits - 1) { x -= 1 << bits }
                return Double(x) * m.rescaleSlope + m.rescaleIntercept
            }
            var out = [UInt8](repeating: 0, count: v.count)
            if let window = m.window {
                // PS3.3 C.11.2.1.2.1, linear VOI function.
                let c = window.center - 0.5, w = window.width - 1
                for i in v.indices {
                    let x = value(v[i])
                    let y: Double = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255
                    out[i] = y.isNaN ? 0 : UInt8(max(0, min(255, y.rounded())))
                }
            } else {
                let shift = max(0, bits - 8)
                let offset = signed ? 1 << (bits - 1) : 0
                for i in v.indices {
                    var x = Int(v[i])
                    if signed && x >= 1 << (bits - 1) { x -= 1 << bits }
                    out[i] = UInt8(clamping: (x + offset) >> shift)
                }
            }
            if invert { for i in out.indices { out[i] = 255 - out[i] } }
            return out
        }
    }

    /// Interleaved 8-bit RGB for a colour frame: RGB as stored, YBR_FULL / YBR_FULL_422
    /// through PS3.3 C.7.6.3.1.2's full-range equations (as pydicom's `convert_color_space`),
    /// PALETTE COLOR through its lookup tables (16-bit entries keep their high byte).
    /// Nil for monochrome frames.
    public static func rgb8(_ frame: RawFrame, module m: PixelModule) -> [UInt8]? {
        if m.photometric == "PALETTE COLOR", let lut = m.palette, frame.samplesPerPixel == 1 {
            let pixels = frame.width * frame.height
            var out = [UInt8](repeating: 0, count: pixels * 3)
            func put(_ p: Int, _ stored: Int) {
                out[3 * p] = lut.red.value8(stored)
                out[3 * p + 1] = lut.green.value8(stored)
                out[3 * p + 2] = lut.blue.value8(stored)
            }
            switch frame.samples {
            case .uint8(let v): for p in 0..<pixels { put(p, Int(v[p])) }
            case .uint16(let v): for p in 0..<pixels { put(p, Int(v[p])) }
            }
            return out
        }
        guard frame.samplesPerPixel == 3, case .uint8(let v) = frame.samples else { return nil }
        if m.photometric == "YBR_FULL" || m.photometric == "YBR_FULL_422" { return ybrFullToRGB(v) }
        return v
    }

    /// YBR_FULL to RGB in Float32, rounded as pydicom rounds (floor of x + 0.5, clipped).
    public static func ybrFullToRGB(_ v: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: v.count)
        let gb: Float = -0.114 * 1.772 / 0.587, gr: Float = -0.299 * 1.402 / 0.587
        func clip(_ x: Float) -> UInt8 { UInt8(max(0, min(255, (x + 0.5).rounded(.down)))) }
        for p in 0..<(v.count / 3) {
            let y = Float(v[3 * p]), cb = Float(v[3 * p + 1]) - 128, cr = Float(v[3 * p + 2]) - 128
            out[3 * p] = clip(y + 1.402 * cr)
            out[3 * p + 1] = clip(y + gb * cb + gr * cr)
            out[3 * p + 2] = clip(y + 1.772 * cb)
        }
        return out
    }
}

/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then PackBits segments.
enum RLE {
    struct Failure: Error { let reason: String }

    /// Decodes `segments` segments of `segmentLength` bytes each. A segment that decodes short is
    /// an error; one that decodes long is cut (as pydicom does).
    static func decode(_ bytes: [UInt8], segments: Int, segmentLength: Int) -> Result<[[UInt8]], Failure> {
        guard bytes.count >= 64 else { return .failure(Failure(reason: "the RLE header is \(bytes.count) bytes, not 64")) }
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        let count = u32(0)
        guard count == segments else {
            return .failure(Failure(reason: "the RLE header gives \(count) segments, the image needs \(segments)"))
        }
        let offsets = (0..<count).map { u32(4 + 4 * $0) }
        var planes: [[UInt8]] = []
        for s in 0..<count {
            let start = offsets[s], end = s + 1 < count ? offsets[s + 1] : bytes.count
            guard start >= 64, start <= end, end <= bytes.count else {
                return .failure(Failure(reason: "RLE segment \(s + 1) has offsets \(start)-\(end) outside the \(bytes.count)-byte frame"))
            }
            var out = [UInt8]()
            // Never reserve from Rows x Columns alone (untrusted): a run of two bytes gives at most
            // 128, so the segment can hold no more than 64 times its own length.
            out.reserveCapacity(min(segmentLength, 64 * (end - start)))
            var i = start
            while i < end && out.count < segmentLength {
                let n = Int(Int8(bitPattern: bytes[i]))
                i += 1
                if n >= 0 {
                    let take = min(n + 1, end - i, segmentLength - out.count)
                    out.append(contentsOf: bytes[i..<(i + take)])
                    i += n + 1
                } else if n != -128 {
                    guard i < end else { break }
                    let run = min(1 - n, segmentLength - out.count)
                    out.append(contentsOf: repeatElement(bytes[i], count: run))
                    i += 1
                }
            }
            guard out.count == segmentLength else {
                return .failure(Failure(reason: "RLE segment \(s + 1) decodes to \(out.count) bytes, not \(segmentLength)"))
            }
            planes.append(out)
        }
        return .success(planes)
    }
}
