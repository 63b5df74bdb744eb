/// A quarter-turn rotation, as a display-matrix tag asks a player to apply.
public enum QuarterTurn: Int, Sendable, Codable {
    case none = 0
    case clockwise90 = 90
    case half = 180
    case clockwise270 = 270

    /// The turn nearest `degrees` (clockwise) when it lies within 1 degree of a quarter turn.
    public init?(clockwiseDegrees degrees: Double) {
        let quarters = (degrees / 90).rounded()
        guard abs(degrees - quarters * 90) < 1, let k = Int(exactly: quarters) else { return nil }
        self.init(rawValue: ((k % 4 + 4) % 4) * 90)
    }

    /// Output size for an input of `width` x `height`.
    public func rotatedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .none, .half: return (width, height)
        case .clockwise90, .clockwise270: return (height, width)
        }
    }
}

/// Rotates interleaved pixels (`channels` bytes per pixel), the way ffmpeg's autorotation does:
/// 90 = transpose=clock, 180 = hflip+vflip, 270 = transpose=cclock.
@usableFromInline
func rotatePixels(_ src: [UInt8], width: Int, height: Int, channels: Int, turn: QuarterTurn) -> [UInt8] {
    if turn == .none { return src }
    let (outW, outH) = turn.rotatedSize(width: width, height: height)
    return [UInt8](unsafeUninitializedCapacity: src.count) { dst, initialised in
        src.withUnsafeBufferPointer { s in
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let sx: Int, sy: Int
                    switch turn {
                    case .clockwise90: sx = oy; sy = height - 1 - ox
                    case .clockwise270: sx = width - 1 - oy; sy = ox
                    case .half: sx = width - 1 - ox; sy = height - 1 - oy
                    case .none: sx = ox; sy = oy
                    }
                    let si = (sy * width + sx) * channels
                    let di = (oy * outW + ox) * channels
                    for c in 0..<channels { dst[di + c] = s[si + c] }
                }
            }
        }
        initialised = src.count
    }
}

extension GreyImage {
    /// This image turned by `turn` (clockwise).
    public func rotated(_ turn: QuarterTurn) -> GreyImage {
        let size = turn.rotatedSize(width: width, height: height)
        return GreyImage(width: size.width, height: size.height,
                         pixels: rotatePixels(pixels, width: width, height: height, channels: 1, turn: turn))
    }
}

extension RGBImage {
    /// This image turned by `turn` (clockwise).
    public func rotated(_ turn: QuarterTurn) -> RGBImage {
        let size = turn.rotatedSize(width: width, height: height)
        return RGBImage(width: size.width, height: size.height,
                        pixels: rotatePixels(pixels, width: width, height: height, channels: 3, turn: turn))
    }
}
