// libFuzzer entry for the labels document (`<clip>.labels.json`): compiled by `make fuzz` with
// Sources/MSKLabels (its module MSKImage built beside it) and swiftc -sanitize=fuzzer,address.
// Every input must end in a document or a thrown error: no trap, no hang. A document that decodes
// is validated, re-encoded and decoded again, which must give the same document.
import Foundation
import MSKLabels

@_cdecl("LLVMFuzzerTestOneInput")
public func labelsFuzzTestOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    guard let document = try? LabelsDocument.decode(from: data) else { return 0 }
    let problems = document.validationErrors()
    for problem in problems { _ = problem.description }
    _ = document.imagingRegion.map { ($0.maxX, $0.maxY, $0.area, $0.fits(width: 640, height: 480)) }
    _ = LabelsDocument.fileName(forClip: document.clip)
    // Non-finite numbers cannot be written as JSON; anything else must survive a round trip.
    if let encoded = try? document.encodedJSON(), let again = try? LabelsDocument.decode(from: encoded), again != document {
        fatalError("labels document changed in an encode/decode round trip")
    }
    return 0
}
