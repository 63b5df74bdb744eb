/// A DICOM transfer syntax: how the data set is encoded and how its pixel data is compressed.
public struct TransferSyntax: Sendable, Equatable, Hashable {
    /// How frames are stored.
    public enum Compression: String, Sendable {
        /// Native (uncompressed) pixel data.
        case none
        /// RLE Lossless (PS3.5 G), decoded in Swift.
        case rle
        /// JPEG Baseline / Extended (process 1, 2 and 4), decoded by libavcodec's MJPEG decoder.
        case jpeg
        /// JPEG Lossless (process 14, selection value 1 or any), libavcodec's MJPEG decoder.
        case jpegLossless
        /// JPEG-LS lossless or near-lossless, libavcodec's JPEG-LS decoder.
        case jpegLS
        /// JPEG 2000 (lossless only or lossy), libavcodec's JPEG 2000 decoder.
        case jpeg2000
        /// MPEG-2 video: one elementary stream across all fragments.
        case mpeg2
        /// MPEG-4 AVC / H.264: one elementary stream across all fragments.
        case h264
        /// HEVC / H.265: one elementary stream across all fragments.
        case hevc
    }

    public let uid: String
    /// The standard's name, e.g. "JPEG Baseline (Process 1)".
    public let name: String
    /// Short name used as `ClipInfo.codec`, e.g. "jpeg-baseline".
    public let shortName: String
    public let explicitVR: Bool
    public let bigEndian: Bool
    public let deflated: Bool
    public let compression: Compression

    /// True for syntaxes whose pixel data is encapsulated (fragments) rather than native.
    public var isEncapsulated: Bool { compression != .none }
    /// True for video syntaxes, where the fragments together form one elementary stream.
    public var isVideo: Bool { [.mpeg2, .h264, .hevc].contains(compression) }

    /// The supported syntaxes, keyed by UID.
    public static let supported: [String: TransferSyntax] = {
        func ts(_ uid: String, _ name: String, _ short: String, explicit: Bool = true, big: Bool = false,
                deflated: Bool = false, _ c: Compression) -> (String, TransferSyntax) {
            (uid, TransferSyntax(uid: uid, name: name, shortName: short, explicitVR: explicit, bigEndian: big,
                                 deflated: deflated, compression: c))
        }
        return Dictionary(uniqueKeysWithValues: [
            ts("1.2.840.10008.1.2", "Implicit VR Little Endian", "raw-implicit-le", explicit: false, .none),
            ts("1.2.840.10008.1.2.1", "Explicit VR Little Endian", "raw-explicit-le", .none),
            ts("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "raw-deflated-le", deflated: true, .none),
            ts("1.2.840.10008.1.2.2", "Explicit VR Big Endian", "raw-explicit-be", big: true, .none),
            ts("1.2.840.10008.1.2.5", "RLE Lossless", "rle", .rle),
            ts("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg-baseline", .jpeg),
            ts("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", "jpeg-extended", .jpeg),
            ts("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg-lossless", .jpegLossless),
            ts("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", "jpeg-lossless-sv1", .jpegLossless),
            ts("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", "jpeg-ls-lossless", .jpegLS),
            ts("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", "jpeg-ls-near-lossless", .jpegLS),
            ts("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", "jpeg2000-lossless", .jpeg2000),
            ts("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", "jpeg2000", .jpeg2000),
            ts("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", "mpeg2", .mpeg2),
            ts("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", "mpeg2", .mpeg2),
            ts("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", "h264", .h264),
            ts("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", "h264", .h264),
            ts("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", "h264", .h264),
            ts("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", "h264", .h264),
            ts("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", "h264", .h264),
            ts("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", "hevc", .hevc),
            ts("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1", "hevc", .hevc),
        ])
    }()

    /// Names of syntaxes that are recognised but not supported, for the error message.
    public static let knownUnsupported: [String: String] = [
        "1.2.840.10008.1.2.4.52": "JPEG Extended (Process 3 & 5) (retired)",
        "1.2.840.10008.1.2.4.53": "JPEG Spectral Selection, Non-Hierarchical (retired)",
        "1.2.840.10008.1.2.4.55": "JPEG Full Progression, Non-Hierarchical (retired)",
        "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
        "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
        "1.2.840.10008.1.2.4.94": "JPIP Referenced",
        "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
        "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
        "1.2.840.10008.1.2.4.112": "JPEG XL",
        "1.2.840.10008.1.2.6.1": "RFC 2557 MIME encapsulation (retired)",
        "1.2.840.10008.1.2.6.2": "XML Encoding (retired)",
        "1.2.840.10008.1.2.7.1": "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        "1.2.840.10008.1.2.1.98": "Encapsulated Uncompressed Explicit VR Little Endian",
    ]

    /// The name for any UID: the standard name when known, else "unknown transfer syntax".
    public static func name(of uid: String) -> String {
        supported[uid]?.name ?? knownUnsupported[uid] ?? "unknown transfer syntax"
    }
}
