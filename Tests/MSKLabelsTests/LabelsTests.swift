import MSKImage
import Foundation
import Testing
@testable import MSKLabels

private func sample() -> LabelsDocument {
    var doc = LabelsDocument(clip: "full_01.mp4", classification: .fullThicknessTear, mmPerPixel: [0.1, 0.1],
                             patientId: "P001", muscle: "rectus-femoris", side: "right", studyDate: "2026-01-10")
    doc.frames = [
        FrameLabel(index: 0, gapWidthMm: 5, endSeparationMm: 5.2, defectDepthFraction: 1,
                   muscleThicknessMm: 21.5, echoIntensity: 62, contraction: 0),
        FrameLabel(index: 3, gapWidthMm: 7.25, contraction: 0.5),
    ]
    doc.case = "full"
    doc.seed = 101
    doc.imagingRegion = PixelRect(x: 10, y: 20, width: 300, height: 200)
    return doc
}

@Test func specExampleDecodes() throws {
    let json = """
    {
      "schema": "mskcine.labels/1",
      "clip": "full_01.mp4",
      "mmPerPixel": [0.1, 0.1],
      "classification": "full-thickness-tear",
      "patientId": "P001", "muscle": "rectus-femoris", "side": "right", "studyDate": "2026-01-10",
      "frames": [
        {"index": 0, "gapWidthMm": 5.0, "endSeparationMm": 5.2, "defectDepthFraction": 1.0,
         "muscleThicknessMm": 21.5, "echoIntensity": 62.0, "contraction": 0.0}
      ]
    }
    """
    let doc = try LabelsDocument.decode(from: Data(json.utf8))
    #expect(doc.classification == .fullThicknessTear)
    #expect(doc.frames?.first?.muscleThicknessMm == 21.5)
    #expect(doc.validationErrors().isEmpty)
}

@Test func minimalDocumentDecodes() throws {
    let doc = try LabelsDocument.decode(from: Data(#"{"schema":"mskcine.labels/1","clip":"a.avi","classification":"no-tear"}"#.utf8))
    #expect(doc.frames == nil && doc.mmPerPixel == nil)
    #expect(doc.validationErrors().isEmpty)
}

@Test func roundTripIsStable() throws {
    let doc = sample()
    let data = try doc.encodedJSON()
    let back = try LabelsDocument.decode(from: data)
    #expect(back == doc)
    #expect(try back.encodedJSON() == data)
    let text = String(decoding: data, as: UTF8.self)
    // Sorted keys: "case" before "classification" before "clip".
    let iCase = try #require(text.range(of: "\"case\"")).lowerBound
    let iClass = try #require(text.range(of: "\"classification\"")).lowerBound
    let iClip = try #require(text.range(of: "\"clip\"")).lowerBound
    #expect(iCase < iClass && iClass < iClip)
    #expect(!text.contains("echoIntensity\" : null"))
}

@Test func fileName() {
    #expect(LabelsDocument.fileName(forClip: "full_01.mp4") == "full_01.labels.json")
    #expect(LabelsDocument.fileName(forClip: "clip") == "clip.labels.json")
}

struct BadCase: Sendable, CustomStringConvertible {
    let name: String
    let edit: @Sendable (inout LabelsDocument) -> Void
    let expected: LabelsValidationError
    var description: String { name }
}

private let badCases: [BadCase] = [
    BadCase(name: "schema", edit: { $0.schema = "mskcine.labels/2" }, expected: .wrongSchema(found: "mskcine.labels/2")),
    BadCase(name: "classification", edit: { $0.classification = Classification(rawValue: "torn") },
            expected: .unknownClassification("torn")),
    BadCase(name: "empty clip", edit: { $0.clip = "" }, expected: .emptyClip),
    BadCase(name: "calibration", edit: { $0.mmPerPixel = [0.1] }, expected: .badCalibration([0.1])),
    BadCase(name: "date", edit: { $0.studyDate = "2026-02-30" }, expected: .badStudyDate("2026-02-30")),
    BadCase(name: "negative index", edit: { $0.frames = [FrameLabel(index: -1)] }, expected: .negativeFrameIndex(-1)),
    BadCase(name: "order", edit: { $0.frames = [FrameLabel(index: 2), FrameLabel(index: 2)] },
            expected: .frameIndexNotIncreasing(previous: 2, index: 2)),
    BadCase(name: "fraction", edit: { $0.frames = [FrameLabel(index: 0, defectDepthFraction: 1.2)] },
            expected: .fractionOutOfRange(field: "defectDepthFraction", frame: 0, value: 1.2)),
    BadCase(name: "contraction", edit: { $0.frames = [FrameLabel(index: 4, contraction: -0.1)] },
            expected: .fractionOutOfRange(field: "contraction", frame: 4, value: -0.1)),
    BadCase(name: "length", edit: { $0.frames = [FrameLabel(index: 0, gapWidthMm: -2)] },
            expected: .negativeLength(field: "gapWidthMm", frame: 0, value: -2)),
    BadCase(name: "thickness", edit: { $0.frames = [FrameLabel(index: 1, muscleThicknessMm: -0.5)] },
            expected: .negativeLength(field: "muscleThicknessMm", frame: 1, value: -0.5)),
    BadCase(name: "echo", edit: { $0.frames = [FrameLabel(index: 0, echoIntensity: 300)] },
            expected: .echoIntensityOutOfRange(frame: 0, value: 300)),
    BadCase(name: "nan", edit: { $0.frames = [FrameLabel(index: 0, endSeparationMm: .nan)] },
            expected: .notFinite(field: "endSeparationMm", frame: 0)),
]

@Test(arguments: badCases)
func validationNamesTheProblem(_ bad: BadCase) {
    var doc = sample()
    #expect(doc.validationErrors().isEmpty)
    bad.edit(&doc)
    #expect(doc.validationErrors() == [bad.expected])
    #expect(throws: bad.expected) { try doc.validate() }
}

@Test func unknownClassificationStillDecodes() throws {
    let doc = try LabelsDocument.decode(from: Data(#"{"schema":"x","clip":"c.mp4","classification":"maybe"}"#.utf8))
    #expect(doc.validationErrors() == [.wrongSchema(found: "x"), .unknownClassification("maybe")])
}

@Test func missingRequiredFieldFailsToDecode() {
    #expect(throws: DecodingError.self) {
        try LabelsDocument.decode(from: Data(#"{"schema":"mskcine.labels/1","clip":"c.mp4"}"#.utf8))
    }
}
