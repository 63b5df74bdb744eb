import Foundation

/// A data element tag (group, element).
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16
    public init(_ group: UInt16, _ element: UInt16) { self.group = group; self.element = element }
    var key: UInt32 { UInt32(group) << 16 | UInt32(element) }
    public static func < (a: Tag, b: Tag) -> Bool { a.key < b.key }
    public var description: String {
        let hex = { (v: UInt16) -> String in
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        return "(\(hex(group)),\(hex(element)))"
    }

    public static let item = Tag(0xFFFE, 0xE000)
    public static let itemDelimitation = Tag(0xFFFE, 0xE00D)
    public static let sequenceDelimitation = Tag(0xFFFE, 0xE0DD)
    public static let pixelData = Tag(0x7FE0, 0x0010)
    public static let extendedOffsetTable = Tag(0x7FE0, 0x0001)
    public static let extendedOffsetTableLengths = Tag(0x7FE0, 0x0002)
}

/// The bytes a data set's values live in (the mapped file, or the inflated data set), and
/// their byte order. Shared by a data set and all its items; immutable.
public final class ValueBuffer: Sendable {
    public let data: Data
    public let bigEndian: Bool
    init(data: Data, bigEndian: Bool) { self.data = data; self.bigEndian = bigEndian }

    func bytes(_ range: Range<Int>) -> Data {
        let lower = data.startIndex + range.lowerBound
        return data[lower..<(lower + range.count)]
    }
}

/// One element: its VR, where its value lies, and its items (sequences) or fragments
/// (encapsulated pixel data). Values are never copied at parse time.
public struct Element: Sendable {
    public let tag: Tag
    /// Two-letter VR ("US", "SQ", ...); "UN" where an implicit-VR file gives none and the tag is unknown.
    public let vr: String
    /// Byte offset of the value in the buffer.
    public let offset: Int
    /// Value length in bytes (for undefined-length elements, the parsed extent).
    public let length: Int
    /// Items, for a sequence.
    public let items: [DataSet]?
    /// Fragment byte ranges (including the basic offset table as the first), for encapsulated pixel data.
    public let fragments: [Range<Int>]?
}

/// A parsed data set: its elements by tag, over a shared value buffer.
public struct DataSet: Sendable {
    public let buffer: ValueBuffer
    public private(set) var elements: [Tag: Element] = [:]

    init(buffer: ValueBuffer) { self.buffer = buffer }

    mutating func insert(_ element: Element) {
        if elements[element.tag] == nil { elements[element.tag] = element }
    }

    public subscript(tag: Tag) -> Element? { elements[tag] }

    /// Raw value bytes of an element.
    public func bytes(_ tag: Tag) -> Data? {
        guard let e = elements[tag], e.items == nil, e.fragments == nil else { return nil }
        return buffer.bytes(e.offset..<(e.offset + e.length))
    }

    /// The value as text, with trailing spaces and NULs removed (all values, backslash-joined).
    public func string(_ tag: Tag) -> String? {
        guard let d = bytes(tag) else { return nil }
        // DICOM's default character set is ASCII; ISO-IR 100 (Latin-1) is a superset for our use.
        let s = String(data: d, encoding: .utf8) ?? String(data: d, encoding: .isoLatin1) ?? ""
        var trimmed = Substring(s)
        while let last = trimmed.last, last == " " || last == "\0" { trimmed.removeLast() }
        return String(trimmed)
    }

    /// Multi-valued text split at backslashes, each value trimmed of spaces.
    public func strings(_ tag: Tag) -> [String]? {
        string(tag).map { $0.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// A DS or IS value list as numbers (values that do not parse are dropped).
    public func decimals(_ tag: Tag) -> [Double]? {
        strings(tag).map { $0.compactMap { Double($0) } }
    }

    /// The first DS/IS value.
    public func decimal(_ tag: Tag) -> Double? { decimals(tag)?.first }

    /// An IS value as an integer.
    public func integerString(_ tag: Tag) -> Int? { strings(tag)?.first.flatMap { Int($0) } }

    private func words<T: FixedWidthInteger>(_ tag: Tag, as: T.Type) -> [T]? {
        guard let d = bytes(tag) else { return nil }
        let size = MemoryLayout<T>.size
        let n = d.count / size
        var out = [T]()
        out.reserveCapacity(n)
        d.withUnsafeBytes { raw in
            for i in 0..<n {
                let v = raw.loadUnaligned(fromByteOffset: i * size, as: T.self)
                out.append(buffer.bigEndian ? T(bigEndian: v) : T(littleEndian: v))
            }
        }
        return out
    }

    /// US (or OW) values.
    public func uint16s(_ tag: Tag) -> [UInt16]? { words(tag, as: UInt16.self) }
    public func uint16(_ tag: Tag) -> UInt16? { uint16s(tag)?.first }
    /// UL values.
    public func uint32s(_ tag: Tag) -> [UInt32]? { words(tag, as: UInt32.self) }
    public func uint32(_ tag: Tag) -> UInt32? { uint32s(tag)?.first }
    /// SL values.
    public func int32(_ tag: Tag) -> Int32? { words(tag, as: Int32.self)?.first }
    /// UV values (64-bit unsigned, e.g. the extended offset table).
    public func uint64s(_ tag: Tag) -> [UInt64]? { words(tag, as: UInt64.self) }
    /// FD values.
    public func doubles(_ tag: Tag) -> [Double]? { words(tag, as: UInt64.self)?.map { Double(bitPattern: $0) } }
    public func double(_ tag: Tag) -> Double? { doubles(tag)?.first }
    /// A US value, or SS read as its bit pattern (LUT descriptors may be either).
    public func integer(_ tag: Tag) -> Int? { uint16(tag).map(Int.init) }

    /// Items of a sequence (empty when the sequence is empty, nil when absent).
    public func items(_ tag: Tag) -> [DataSet]? { elements[tag]?.items }
}
