import Foundation
import MSKTestSupport
@testable import mskcine
import Testing

@Suite("mskcine probe on DICOM")
struct ProbeDICOMTests {
    @Test("options parse")
    func parses() throws {
        let probe = try MSKCine.Probe.parse(["a.dcm", "--show-patient-name", "--count"])
        #expect(probe.showPatientName && probe.count && !probe.json)
    }

    @Test("--json --count: identity, calibration and the decoded count; no name unless asked")
    func json() throws {
        let path = try Reference.fixture("grey8_explicit.dcm")
        let binary = try Binary.mskcine()
        let result = try Binary.run(binary, ["probe", path, "--json", "--count"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        let info = try #require(json?["info"] as? [String: Any])
        #expect(info["container"] as? String == "dicom" && info["width"] as? Int == 64 && info["height"] as? Int == 48)
        let calibration = try #require(info["calibration"] as? [String: Any])
        let mm = try #require(calibration["mmPerPixel"] as? [Double])
        #expect(abs(mm[0] - 0.125) < 1e-12 && abs(mm[1] - 0.15) < 1e-12)
        #expect(calibration["source"] as? String == "dicom" && calibration["detail"] as? String == "dicom-us-region")
        let dicom = try #require(info["dicom"] as? [String: Any])
        #expect(dicom["patientID"] as? String == "P001" && dicom["studyDate"] as? String == "20260110")
        #expect(dicom["patientName"] == nil)
        #expect((json?["decoded"] as? [String: Any])?["frameCount"] as? Int == 4)

        let text = try Binary.run(binary, ["probe", path, "--show-patient-name"])
        let out = String(decoding: text.stdout, as: UTF8.self)
        #expect(out.contains("Test^Patient") && out.contains("0.12500, 0.15000"))
        let plain = String(decoding: try Binary.run(binary, ["probe", path]).stdout, as: UTF8.self)
        #expect(!plain.contains("Test^Patient"))
    }

    @Test("a refused ultrasound region is a warning on stderr, and the probe still succeeds",
          .enabled(if: Reference.hasRealData, "../shared/data/real-dicom is not on this machine"))
    func refusedRegion() throws {
        let path = Reference.realDICOM.appendingPathComponent("examples_ybr_color.dcm").path
        let result = try Binary.run(try Binary.mskcine(), ["probe", path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("outside the 320x240 image"))
        #expect(String(decoding: result.stdout, as: UTF8.self).contains("calibration:  none"))
    }
}
