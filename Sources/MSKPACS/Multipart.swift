import Foundation

/// The body of a WADO-RS answer: `multipart/related` with one part (one instance), or the bare
/// instance (`application/dicom`). Found in the downloaded file without reading it whole.
enum Multipart {
    /// The `boundary` parameter of a Content-Type, nil when there is none.
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The byte range of the one part's content in `file`. Reads at most 64 KiB at the head and
    /// the tail. Throws when the answer is multipart without a part, or ends before its closing
    /// boundary (a cut transfer).
    static func singlePart(file: String, contentType: String) throws(ParseFailure) -> Range<Int64> {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ParseFailure(reason: "the download cannot be read back") }
        defer { try? handle.close() }
        let size = Int64((try? handle.seekToEnd()) ?? 0)
        guard contentType.lowercased().hasPrefix("multipart/") else {
            guard size > 0 else { throw ParseFailure(reason: "an empty answer") }
            return 0..<size
        }
        guard let boundary = boundary(of: contentType) else { throw ParseFailure(reason: "multipart without a boundary") }
        let delimiter = Array("--\(boundary)".utf8)
        try? handle.seek(toOffset: 0)
        let head = [UInt8]((try? handle.read(upToCount: 64 << 10)) ?? Data())
        guard let first = find(delimiter, in: head, from: 0) else { throw ParseFailure(reason: "no part in the multipart answer") }
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let headersEnd = find(crlf2, in: head, from: first + delimiter.count) else {
            throw ParseFailure(reason: "the part's headers do not end")
        }
        let start = Int64(headersEnd + 4)
        let tailLength = min(size, Int64(64 << 10))
        try? handle.seek(toOffset: UInt64(size - tailLength))
        let tail = [UInt8]((try? handle.read(upToCount: Int(tailLength))) ?? Data())
        // The closing delimiter: CRLF "--boundary--", the last one in the body.
        var closing: [UInt8] = [13, 10]
        closing.append(contentsOf: delimiter)
        guard let at = findLast(closing, in: tail) else {
            throw ParseFailure(reason: "the multipart answer ends before its closing boundary")
        }
        let end = size - tailLength + Int64(at)
        guard end > start else { throw ParseFailure(reason: "an empty part") }
        return start..<end
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard needle.count <= hay.count, from <= hay.count - needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if matches(needle, in: hay, at: i) { return i }
            i += 1
        }
        return nil
    }

    static func matches(_ needle: [UInt8], in hay: [UInt8], at i: Int) -> Bool {
        for k in 0..<needle.count where hay[i + k] != needle[k] { return false }
        return true
    }

    static func findLast(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        var i = hay.count - needle.count
        while i >= 0 {
            if matches(needle, in: hay, at: i) { return i }
            i -= 1
        }
        return nil
    }
}
