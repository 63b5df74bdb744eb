import Foundation
import MSKDICOM
import MSKImage
import MSKLabels
import MSKSimulator
import MSKWriter

/// Where a synthesised clip's frames go: a video file through `VideoWriter`, or a DICOM US
/// Multi-frame Image through `DICOMWriter`. Both write a temporary file and rename it in `finish()`;
/// dropped unfinished, they remove it.
final class ClipSink {
    private enum Target {
        case video(VideoWriter)
        case dicom(DICOMWriter)
    }
    private let target: Target
    private let pixels: WriterPixels

    init(job: SynthJob, path: String, simulator: CineSimulator) throws(SynthError) {
        let p = job.parameters
        pixels = job.pixels ?? (p.exportCanvas ? .rgb : .grey)
        switch job.format {
        case .video:
            let options = VideoWriterOptions(codec: job.codec, fps: p.fps, pixels: pixels,
                                             quality: job.quality ?? SynthJob.defaultQuality(job.codec), reproducible: true)
            do { target = .video(try VideoWriter(path: path, width: p.width, height: p.height, options: options)) } catch {
                throw .writer(error)
            }
        case .dicom:
            let description = DICOMClip.description(parameters: p, region: simulator.imagingRegion,
                                                    samplesPerPixel: pixels == .rgb ? 3 : 1)
            do { target = .dicom(try DICOMWriter(path: path, description: description)) } catch {
                throw .dicomWriter(error)
            }
        }
    }

    func write(_ frame: SimulatedFrame) throws(SynthError) {
        switch target {
        case .video(let writer):
            do {
                switch pixels {
                case .grey: try writer.write(frame.grey)
                case .rgb: try writer.write(frame.rgb)
                }
            } catch { throw .writer(error) }
        case .dicom(let writer):
            do { try writer.append(pixels == .rgb ? frame.rgb.pixels : frame.grey.pixels) } catch { throw .dicomWriter(error) }
        }
    }

    /// Closes the file and renames it into place; returns the frames written.
    func finish() throws(SynthError) -> Int {
        switch target {
        case .video(let writer):
            do { return try writer.finish() } catch { throw .writer(error) }
        case .dicom(let writer):
            do { return try writer.finish() } catch { throw .dicomWriter(error) }
        }
    }
}

/// The DICOM attributes of a simulated clip.
public enum DICOMClip {
    /// Size, timing, the imaging region as the ultrasound region (inclusive bounds) with the
    /// simulator's spacing, identity (Patient ID, Study Date as YYYYMMDD, Laterality R/L from the
    /// side), and UIDs derived from the seeds: the same parameters give the same UIDs.
    public static func description(parameters p: SimulationParameters, region: PixelRect,
                                   samplesPerPixel: Int) -> UltrasoundCineDescription {
        let anatomy = p.anatomySeed ?? p.seed
        let study = UInt64(bitPattern: Int64(p.studyIndex ?? 0))
        let dateNumber = UInt64(p.studyDate.map { $0.filter(\.isNumber) }.flatMap { UInt64($0) } ?? 0)
        let patient = p.patientId.map { id in id.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 } } ?? 0
        let studyValues = [anatomy, study, dateNumber, patient]
        let laterality: String? = switch p.side?.lowercased() {
        case "right": "R"
        case "left": "L"
        default: nil
        }
        return UltrasoundCineDescription(
            columns: p.width, rows: p.height, samplesPerPixel: samplesPerPixel, frameCount: p.frameCount, fps: p.fps,
            region: (region.x, region.y, region.x + region.width - 1, region.y + region.height - 1),
            mmPerPixelX: p.mmPerPixelX, mmPerPixelY: p.mmPerPixelY,
            patientID: p.patientId,
            studyDate: p.studyDate.map { $0.filter(\.isNumber) },
            laterality: laterality,
            studyDescription: "Simulated \(p.tearCase.rawValue) (seed \(p.seed))",
            seriesDescription: p.muscle,
            manufacturer: "MSKCine", modelName: "MSKCine simulator",
            studyInstanceUID: DICOMUID.derived(role: "study", values: studyValues),
            seriesInstanceUID: DICOMUID.derived(role: "series", values: studyValues + [p.seed]),
            sopInstanceUID: DICOMUID.derived(role: "sop", values: studyValues + [p.seed, UInt64(p.frameCount),
                                                                                  UInt64(p.width), UInt64(p.height)]))
    }
}
