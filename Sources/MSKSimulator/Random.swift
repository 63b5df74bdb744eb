import Foundation

/// Deterministic randomness: the same seed gives the same bits on every run and platform.
/// Nothing here uses `SystemRandomNumberGenerator` or Foundation.

/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit generator whose output depends only on the seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// A standard normal pair (Box-Muller).
    public mutating func normalPair() -> (Double, Double) {
        let u1 = max(unit(), 0x1.0p-60)
        let u2 = unit()
        let r = (-2 * log(u1)).squareRoot()
        let a = 2 * Double.pi * u2
        return (r * cos(a), r * sin(a))
    }

    /// A child generator for a named purpose, independent of how much of this one was used.
    public func derived(_ tag: UInt64) -> SplitMix64 { SplitMix64(seed: mix64(state ^ mix64(tag &+ 0x632B_E59B_D9B4_E019))) }
}

/// The SplitMix64 finaliser: a bijective 64-bit mix.
public func mix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Hash of integer lattice coordinates to [-1, 1].
func latticeValue(_ seed: UInt64, _ i: Int, _ j: Int = 0) -> Double {
    let h = mix64(seed ^ mix64(UInt64(bitPattern: Int64(i)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(j)) &* 0xC2B2_AE3D_27D4_EB4F))
    return Double(h >> 11) * 0x1.0p-52 - 1
}

func smoothstep(_ t: Double) -> Double { t * t * (3 - 2 * t) }

/// Smooth 1-D value noise in [-1, 1] with features about one unit of `t` long.
func valueNoise(_ seed: UInt64, _ t: Double) -> Double {
    let f = t.rounded(.down)
    let i = Int(f)
    let u = smoothstep(t - f)
    let a = latticeValue(seed, i), b = latticeValue(seed, i + 1)
    return a + (b - a) * u
}

/// Smooth 2-D value noise in [-1, 1] with features about one unit long.
func valueNoise(_ seed: UInt64, _ x: Double, _ y: Double) -> Double {
    let fx = x.rounded(.down), fy = y.rounded(.down)
    let i = Int(fx), j = Int(fy)
    let u = smoothstep(x - fx), v = smoothstep(y - fy)
    let a = latticeValue(seed, i, j), b = latticeValue(seed, i + 1, j)
    let c = latticeValue(seed, i, j + 1), d = latticeValue(seed, i + 1, j + 1)
    let top = a + (b - a) * u, bottom = c + (d - c) * u
    return top + (bottom - top) * v
}

/// Two octaves of 1-D value noise, roughly in [-1, 1].
func fractalNoise(_ seed: UInt64, _ t: Double) -> Double {
    0.7 * valueNoise(seed, t) + 0.3 * valueNoise(seed &+ 1, 2.7 * t)
}
