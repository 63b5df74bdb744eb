import Foundation

extension SimulationParameters {
    /// The randomised validation distribution (`Docs/simulator.md`): one draw per seed, fixed in code.
    public static func randomised(seed: UInt64) -> (parameters: SimulationParameters, codec: String) {
        var r = SplitMix64(seed: mix64(seed ^ 0x5A11_DA7A))
        let u = r.unit()
        let c: TearCase = u < 0.3 ? .full : (u < 0.45 ? .fullSubtle : (u < 0.7 ? .partial : .none))
        let p = SimulationParameters.preset(case: c, seed: seed)
        return (p, "h264")
    }
}
