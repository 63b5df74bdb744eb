// libFuzzer entry for the batch manifest CSV (`--manifest FILE.csv`): compiled by `make fuzz` with
// Sources/MSKBatch/ManifestTable.swift (the manifest as plain values, no database types) and
// swiftc -sanitize=fuzzer,address. Every input must end in rows or a ManifestTableError.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func manifestFuzzTestOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    guard let rows = try? ManifestTable.rows(text: text, base: URL(fileURLWithPath: "/archive")) else { return 0 }
    for row in rows {
        precondition(row.path.hasPrefix("/"), "a manifest row's path is not absolute: \(row.path)")
        if let date = row.studyDate { precondition(ManifestTable.isoDate(date) == date, "study date \(date) is not ISO") }
    }
    return 0
}
