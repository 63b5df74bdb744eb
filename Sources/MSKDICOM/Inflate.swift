/// Raw DEFLATE decompression (RFC 1951), as Deflated Explicit VR Little Endian needs it
/// (PS3.5 A.5: the data set after the meta group is one raw deflate stream, no zlib header).
///
/// Hostile input: every read is bounds-checked, Huffman tables are validated (over-subscribed
/// or incomplete code sets are refused), back-references may not reach before the output start,
/// and the output is capped at `limit` bytes (a decompression bomb stops with an error).
enum Inflate {
    enum Failure: Error, Equatable {
        case truncated
        case invalid(String)
        case tooLarge(Int)
    }

    /// Inflates `input` (a raw deflate stream). Bytes after the final block are ignored.
    static func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> [UInt8] {
        var state = State(input: input, limit: limit)
        try state.run()
        return state.output
    }

    fileprivate struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        /// Builds canonical code tables from code lengths; `allowIncomplete` for the single-code case.
        init(lengths: ArraySlice<Int>) throws(Failure) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            if counts[0] == lengths.count { return } // no codes: decoding anything with it fails
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw .invalid("over-subscribed Huffman code") }
            }
            var offs = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offs[len + 1] = offs[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offs[l]] = symbol
                offs[l] += 1
            }
        }
    }

    private struct State {
        let input: UnsafeRawBufferPointer
        let limit: Int
        var pos = 0
        var bitBuffer = 0
        var bitCount = 0
        var output: [UInt8] = []

        init(input: UnsafeRawBufferPointer, limit: Int) {
            self.input = input
            self.limit = limit
            output.reserveCapacity(min(limit, max(1024, input.count * 4)))
        }

        mutating func bits(_ need: Int) throws(Failure) -> Int {
            while bitCount < need {
                guard pos < input.count else { throw .truncated }
                bitBuffer |= Int(input[pos]) << bitCount
                pos += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << need) - 1)
            bitBuffer >>= need
            bitCount -= need
            return value
        }

        mutating func decode(_ h: Huffman) throws(Failure) -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try bits(1)
                let count = h.counts[len]
                if code - count < first { return h.symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw .invalid("invalid Huffman code")
        }

        mutating func append(_ byte: UInt8) throws(Failure) {
            guard output.count < limit else { throw .tooLarge(limit) }
            output.append(byte)
        }

        mutating func run() throws(Failure) {
            var last = 0
            repeat {
                last = try bits(1)
                let type = try bits(2)
                switch type {
                case 0: try stored()
                case 1: try codes(Self.fixedLength, Self.fixedDistance)
                case 2: try dynamic()
                default: throw .invalid("invalid block type 3")
                }
            } while last == 0
        }

        mutating func stored() throws(Failure) {
            bitBuffer = 0
            bitCount = 0
            guard pos + 4 <= input.count else { throw .truncated }
            let len = Int(input[pos]) | Int(input[pos + 1]) << 8
            let nlen = Int(input[pos + 2]) | Int(input[pos + 3]) << 8
            pos += 4
            guard len == (~nlen & 0xFFFF) else { throw .invalid("stored block length check failed") }
            guard pos + len <= input.count else { throw .truncated }
            guard output.count + len <= limit else { throw .tooLarge(limit) }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[pos..<(pos + len)]))
            pos += len
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

        static let fixedLength: Huffman = {
            var lengths = [Int](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            return (try? Huffman(lengths: lengths[...])) ?? Huffman.empty
        }()
        static let fixedDistance: Huffman = (try? Huffman(lengths: [Int](repeating: 5, count: 30)[...])) ?? Huffman.empty

        mutating func codes(_ lencode: Huffman, _ distcode: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(lencode)
                if symbol < 256 {
                    try append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let s = symbol - 257
                    guard s < 29 else { throw .invalid("invalid length symbol") }
                    let len = Self.lengthBase[s] + (try bits(Self.lengthExtra[s]))
                    let d = try decode(distcode)
                    guard d < 30 else { throw .invalid("invalid distance symbol") }
                    let dist = Self.distBase[d] + (try bits(Self.distExtra[d]))
                    guard dist <= output.count else { throw .invalid("distance too far back") }
                    guard output.count + len <= limit else { throw .tooLarge(limit) }
                    let start = output.count - dist
                    for i in 0..<len { output.append(output[start + i]) }
                }
            }
        }

        static let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

        mutating func dynamic() throws(Failure) {
            let nlen = try bits(5) + 257
            let ndist = try bits(5) + 1
            let ncode = try bits(4) + 4
            guard nlen <= 286, ndist <= 30 else { throw .invalid("bad dynamic block counts") }
            var lengths = [Int](repeating: 0, count: 320)
            for i in 0..<ncode { lengths[Self.order[i]] = try bits(3) }
            let lencode0 = try Huffman(lengths: lengths[0..<19])
            var index = 0
            while index < nlen + ndist {
                var symbol = try decode(lencode0)
                if symbol < 16 {
                    lengths[index] = symbol
                    index += 1
                } else {
                    var len = 0
                    if symbol == 16 {
                        guard index > 0 else { throw .invalid("repeat with no first length") }
                        len = lengths[index - 1]
                        symbol = 3 + (try bits(2))
                    } else if symbol == 17 {
                        symbol = 3 + (try bits(3))
                    } else {
                        symbol = 11 + (try bits(7))
                    }
                    guard index + symbol <= nlen + ndist else { throw .invalid("too many lengths") }
                    for _ in 0..<symbol { lengths[index] = len; index += 1 }
                }
            }
            guard lengths[256] != 0 else { throw .invalid("no end-of-block code") }
            let lencode = try Huffman(lengths: lengths[0..<nlen])
            let distcode = try Huffman(lengths: lengths[nlen..<(nlen + ndist)])
            try codes(lencode, distcode)
        }
    }
}

extension Inflate.Huffman {
    /// A table with no codes (decoding with it fails); only a fallback that is never used.
    fileprivate static var empty: Inflate.Huffman { Inflate.Huffman(symbols: []) }
    private init(symbols: [Int]) { self.symbols = symbols }
}
