// libFuzzer entry for the DICOM parser: compiled together with Sources/MSKDICOM by `make fuzz`
// (swiftc -sanitize=fuzzer,address). Every input must end in a value or a typed DICOMError:
// no trap, no hang, and memory bounded by the limits below however hostile the lengths.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func dicomFuzzTestOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = Data(bytes: bytes, count: size)
    let options = DICOMOptions(maxDimension: 16_384,
                               limits: ParserLimits(maxDepth: 16, maxElements: 200_000, maxInflatedBytes: 16 << 20))
    guard let file = try? DICOMFile(data: data, path: "fuzz-input", options: options) else { return 0 }
    _ = file.identity(includePatientNameAndBirthDate: true)
    _ = file.ultrasoundRegions()
    guard let (module, _) = try? file.pixelModule(maxDimension: options.maxDimension) else { return 0 }
    _ = file.calibration(columns: module.columns, rows: module.rows)
    _ = file.frameTiming(frameCount: module.frameCount)
    _ = file.videoStreamBytes(module: module)
    for index in 0..<min(module.frameCount, 3) {
        if let raw = try? file.rawFrame(index, module: module) {
            _ = DisplayConversion.grey8(raw, module: module)
            _ = DisplayConversion.rgb8(raw, module: module)
        }
        _ = try? file.compressedFrameBytes(index, module: module)
    }
    return 0
}
