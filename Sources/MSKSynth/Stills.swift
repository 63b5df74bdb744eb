import Foundation
import MSKImage
import MSKSimulator
import MSKWriter

/// PNG stills of a simulated clip at rest and at peak contraction, for the docs.
extension Synthesizer {
    /// The frame indices at rest (the first frame with the least activation) and at peak (the
    /// first with the most), from the model's contraction, not from the image.
    public static func restAndPeakFrames(_ simulator: CineSimulator) -> (rest: Int, peak: Int) {
        var rest = 0, peak = 0
        for i in 0..<simulator.frameCount {
            if simulator.activation(i) < simulator.activation(rest) { rest = i }
            if simulator.activation(i) > simulator.activation(peak) { peak = i }
        }
        return (rest, peak)
    }

    /// Writes `<name>_rest.png` and `<name>_peak.png` into `directory`: the grey frame cropped to
    /// the imaging region (the export canvas is left out, so the stills stay small). Returns the paths.
    @discardableResult
    public static func writeStills(_ job: SynthJob, into directory: String) throws(SynthError) -> [String] {
        let problems = job.parameters.problems()
        guard problems.isEmpty else { throw .badJob(name: job.name, problems: problems) }
        try prepareOutputFolder(directory)
        let simulator = CineSimulator(parameters: job.parameters)
        let (rest, peak) = restAndPeakFrames(simulator)
        var paths: [String] = []
        for (label, index) in [("rest", rest), ("peak", peak)] {
            let frame = simulator.renderFrame(index)
            let r = simulator.imagingRegion
            let crop = GreyImage(width: r.width, height: r.height) { out in
                frame.grey.pixels.withUnsafeBufferPointer { src in
                    for y in 0..<r.height {
                        for x in 0..<r.width { out[y * r.width + x] = src[(y + r.y) * frame.grey.width + x + r.x] }
                    }
                }
            }
            let path = (directory as NSString).appendingPathComponent("\(job.name)_\(label).png")
            do { try PNGWriter.write(crop, to: path) } catch { throw .writer(error) }
            paths.append(path)
        }
        return paths
    }
}
