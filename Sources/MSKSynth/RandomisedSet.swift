import Foundation
import MSKSimulator
import MSKWriter

extension SynthJob {
    /// One clip of the randomised validation distribution (`SimulationParameters.randomised`),
    /// named `rand_<seed>`, in the codec its seed draws.
    public static func randomised(seed: UInt64) -> SynthJob {
        let draw = SimulationParameters.randomised(seed: seed)
        var job = SynthJob(name: "rand_\(seed)", parameters: draw.parameters,
                           codec: VideoCodec(rawValue: draw.codec) ?? .h264)
        if draw.codec == "dicom" { job.format = .dicom }
        return job
    }
}
