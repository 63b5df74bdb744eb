import Foundation

/// Limits that keep a hostile file from exhausting the stack or memory.
public struct ParserLimits: Sendable {
    /// Deepest sequence nesting accepted (real ultrasound files use 2 or 3).
    public var maxDepth: Int
    /// Most elements accepted in one file (all data sets together).
    public var maxElements: Int
    /// Largest inflated size of a deflated data set, in bytes.
    public var maxInflatedBytes: Int

    public init(maxDepth: Int = 16, maxElements: Int = 2_000_000, maxInflatedBytes: Int = 1 << 30) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxInflatedBytes = maxInflatedBytes
    }
}

/// Parses a data set over raw bytes. Every length is checked against the bytes that remain
/// before anything is read or allocated; nothing here can trap on any input.
struct Parser {
    let bytes: UnsafeRawBufferPointer
    let buffer: ValueBuffer
    let explicitVR: Bool
    let bigEndian: Bool
    let path: String
    let limits: ParserLimits
    /// Offset added to positions in error messages (the meta group's length for deflated data).
    var reportOffset = 0
    var elementCount = 0

    static let undefinedLength = 0xFFFF_FFFF
    /// VRs whose explicit form has 2 reserved bytes and a 32-bit length.
    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    /// Tags whose VR an implicit-VR file must be told: sequences the reader uses, and pixel data.
    static let implicitVRs: [Tag: String] = [
        Tag(0x0018, 0x6011): "SQ", Tag(0x0008, 0x1115): "SQ", Tag(0x0008, 0x1140): "SQ", Tag(0x0008, 0x1111): "SQ",
        Tag(0x0008, 0x2112): "SQ", Tag(0x0040, 0x0275): "SQ", Tag(0x0008, 0x1032): "SQ", Tag(0x0054, 0x0220): "SQ",
        Tag(0x0028, 0x3000): "SQ", Tag(0x0028, 0x3010): "SQ", Tag(0x0040, 0x0260): "SQ", Tag(0x0008, 0x9215): "SQ",
        Tag(0x5200, 0x9229): "SQ", Tag(0x5200, 0x9230): "SQ", Tag(0x0018, 0x5104): "SQ",
        Tag(0x7FE0, 0x0010): "OW", Tag(0x7FE0, 0x0001): "OV", Tag(0x7FE0, 0x0002): "OV",
        Tag(0x0018, 0x601E): "UL", Tag(0x0018, 0x6018): "UL", Tag(0x0018, 0x601A): "UL", Tag(0x0018, 0x601C): "UL",
        Tag(0x0018, 0x6024): "US", Tag(0x0018, 0x6026): "US", Tag(0x0018, 0x602C): "FD", Tag(0x0018, 0x602E): "FD",
        Tag(0x0018, 0x6012): "US", Tag(0x0018, 0x6014): "US", Tag(0x0018, 0x6016): "UL",
    ]

    init(bytes: UnsafeRawBufferPointer, buffer: ValueBuffer, explicitVR: Bool, bigEndian: Bool, path: String, limits: ParserLimits) {
        self.bytes = bytes
        self.buffer = buffer
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.path = path
        self.limits = limits
    }

    // MARK: - Primitive reads (callers have checked the bounds)

    func u16(_ at: Int) -> UInt16 {
        let v = UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        return bigEndian ? v.byteSwapped : v
    }

    func u32(_ at: Int) -> UInt32 {
        let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    func truncated(_ at: Int, _ what: String) -> DICOMError {
        .truncated(path: path, offset: at + reportOffset, what: what)
    }

    func malformed(_ at: Int, _ reason: String) -> DICOMError {
        .malformed(path: path, offset: at + reportOffset, reason: reason)
    }

    // MARK: - Data sets

    /// Parses elements in `start..<end`. With `untilItemEnd`, stops after an item delimitation
    /// item and returns the offset after it. With `stopBefore`, stops at the first tag >= it
    /// (used to read only the meta group). Returns the data set and the offset where parsing stopped.
    mutating func parseDataSet(from start: Int, to end: Int, depth: Int, untilItemEnd: Bool = false,
                               onlyGroup: UInt16? = nil) throws(DICOMError) -> (DataSet, Int) {
        var set = DataSet(buffer: buffer)
        var pos = start
        while pos < end {
            guard end - pos >= 8 else {
                // Trailing padding shorter than a tag is tolerated only when it is all zero.
                if !untilItemEnd, (pos..<end).allSatisfy({ bytes[$0] == 0 }) { return (set, end) }
                throw truncated(pos, "an element header")
            }
            let group = u16(pos), elementNumber = u16(pos + 2)
            let tag = Tag(group, elementNumber)
            if let onlyGroup, group != onlyGroup { return (set, pos) }
            if tag == .itemDelimitation {
                guard untilItemEnd else { throw malformed(pos, "an item delimiter outside any item") }
                return (set, pos + 8)
            }
            if tag == .sequenceDelimitation || tag == .item {
                throw malformed(pos, "a sequence delimiter or item tag outside a sequence")
            }
            elementCount += 1
            guard elementCount <= limits.maxElements else {
                throw malformed(pos, "more than \(limits.maxElements) elements")
            }
            var vr: String
            var length: Int
            var valueStart: Int
            if explicitVR {
                let a = bytes[pos + 4], b = bytes[pos + 5]
                guard (0x41...0x5A).contains(a), (0x41...0x5A).contains(b) else {
                    throw malformed(pos, "element \(tag) has no valid VR (bytes \(a), \(b))")
                }
                vr = String(decoding: [a, b], as: UTF8.self)
                if Parser.longVRs.contains(vr) {
                    guard end - pos >= 12 else { throw truncated(pos, "the header of element \(tag)") }
                    length = Int(u32(pos + 8))
                    valueStart = pos + 12
                } else {
                    length = Int(u16(pos + 6))
                    valueStart = pos + 8
                }
            } else {
                vr = Parser.implicitVRs[tag] ?? (elementNumber == 0 ? "UL" : "UN")
                length = Int(u32(pos + 4))
                valueStart = pos + 8
            }
            if length == Parser.undefinedLength {
                if tag == .pixelData {
                    let (fragments, next) = try parseFragments(from: valueStart, to: end)
                    set.insert(Element(tag: tag, vr: vr, offset: valueStart, length: next - valueStart, items: nil, fragments: fragments))
                    pos = next
                } else if vr == "SQ" || vr == "UN" || !explicitVR {
                    // An undefined length is only legal for SQ (and UN holding an implicit-VR sequence).
                    var inner = self
                    if vr == "UN" && explicitVR {
                        inner = Parser(bytes: bytes, buffer: buffer, explicitVR: false, bigEndian: false, path: path, limits: limits)
                        inner.reportOffset = reportOffset
                        inner.elementCount = elementCount
                    }
                    let (items, next) = try inner.parseSequence(from: valueStart, to: end, defined: false, depth: depth + 1)
                    elementCount = inner.elementCount
                    set.insert(Element(tag: tag, vr: "SQ", offset: valueStart, length: next - valueStart, items: items, fragments: nil))
                    pos = next
                } else {
                    throw malformed(pos, "element \(tag) (\(vr)) has an undefined length")
                }
                continue
            }
            guard length <= end - valueStart else {
                throw truncated(valueStart, "the value of element \(tag) (length \(length), \(max(0, end - valueStart)) bytes left)")
            }
            let valueEnd = valueStart + length
            var items: [DataSet]?
            if vr == "SQ" {
                items = try parseSequence(from: valueStart, to: valueEnd, defined: true, depth: depth + 1).0
            } else if !explicitVR, vr == "UN", length >= 8, tag != .pixelData, u16(valueStart) == 0xFFFE, u16(valueStart + 2) == 0xE000 {
                // Implicit VR gives no VR: a value that starts with an item tag is taken as a sequence
                // when it parses as one, else kept as bytes.
                var trial = self
                if let parsed = try? trial.parseSequence(from: valueStart, to: valueEnd, defined: true, depth: depth + 1).0 {
                    items = parsed
                    elementCount = trial.elementCount
                    vr = "SQ"
                }
            }
            set.insert(Element(tag: tag, vr: vr, offset: valueStart, length: length, items: items, fragments: nil))
            pos = valueEnd
        }
        if untilItemEnd { throw truncated(pos, "an item of undefined length (no item delimiter)") }
        return (set, pos)
    }

    /// Parses the items of a sequence. With `defined`, the items fill `start..<end` exactly;
    /// otherwise they run to a sequence delimitation item, whose end offset is returned.
    mutating func parseSequence(from start: Int, to end: Int, defined: Bool, depth: Int) throws(DICOMError) -> ([DataSet], Int) {
        guard depth <= limits.maxDepth else {
            throw .nestingTooDeep(path: path, offset: start + reportOffset, limit: limits.maxDepth)
        }
        var items: [DataSet] = []
        var pos = start
        while true {
            if defined && pos == end { return (items, pos) }
            guard end - pos >= 8 else { throw truncated(pos, "a sequence item header") }
            let tag = Tag(u16(pos), u16(pos + 2))
            let length = Int(u32(pos + 4))
            if tag == .sequenceDelimitation {
                guard !defined else { throw malformed(pos, "a sequence delimiter inside a defined-length sequence") }
                return (items, pos + 8)
            }
            guard tag == .item else { throw malformed(pos, "expected an item tag (FFFE,E000), found \(tag)") }
            elementCount += 1
            guard elementCount <= limits.maxElements else { throw malformed(pos, "more than \(limits.maxElements) elements") }
            let itemStart = pos + 8
            if length == Parser.undefinedLength {
                let (set, next) = try parseDataSet(from: itemStart, to: end, depth: depth, untilItemEnd: true)
                items.append(set)
                pos = next
            } else {
                guard length <= end - itemStart else {
                    throw truncated(itemStart, "a sequence item (length \(length), \(end - itemStart) bytes left)")
                }
                let (set, _) = try parseDataSet(from: itemStart, to: itemStart + length, depth: depth)
                items.append(set)
                pos = itemStart + length
            }
        }
    }

    /// Parses encapsulated pixel data: items (the first is the basic offset table) up to the
    /// sequence delimiter. Returns the fragment ranges and the offset after the delimiter.
    mutating func parseFragments(from start: Int, to end: Int) throws(DICOMError) -> ([Range<Int>], Int) {
        var fragments: [Range<Int>] = []
        var pos = start
        while true {
            guard end - pos >= 8 else { throw truncated(pos, "the encapsulated pixel data (fragment header)") }
            let tag = Tag(u16(pos), u16(pos + 2))
            let length = Int(u32(pos + 4))
            if tag == .sequenceDelimitation { return (fragments, pos + 8) }
            guard tag == .item else { throw malformed(pos, "expected a pixel data fragment (FFFE,E000), found \(tag)") }
            guard length != Parser.undefinedLength else { throw malformed(pos, "a pixel data fragment of undefined length") }
            guard length <= end - pos - 8 else {
                throw truncated(pos + 8, "a pixel data fragment (length \(length), \(end - pos - 8) bytes left)")
            }
            elementCount += 1
            guard elementCount <= limits.maxElements else { throw malformed(pos, "more than \(limits.maxElements) fragments") }
            fragments.append((pos + 8)..<(pos + 8 + length))
            pos += 8 + length
        }
    }
}
