import MSKImage

/// A single-channel image of `Float` values (grey levels 0...255 unless a function says
/// otherwise): row-major, contiguous, no padding. The working type of the imaging core; grey
/// levels are converted exactly (no stretching), so measurements on it are in decoded grey levels.
public struct FloatImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height, "FloatImage: \(pixels.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, value: Float = 0) {
        self.init(width: width, height: height, pixels: [Float](repeating: value, count: width * height))
    }

    /// The pixels of `grey` inside `rect` (clamped to the image), as floats 0...255.
    public init(_ grey: GreyImage, cropping rect: PixelRect? = nil) {
        let r = (rect ?? PixelRect(x: 0, y: 0, width: grey.width, height: grey.height)).clamped(width: grey.width, height: grey.height)
        let w = r.width, h = r.height
        let values = [Float](unsafeUninitializedCapacity: w * h) { out, initialised in
            grey.pixels.withUnsafeBufferPointer { src in
                guard w > 0, h > 0, let base = src.baseAddress, let dst = out.baseAddress else { return }
                // Row by row on raw pointers: the byte-to-float conversion vectorises.
                for y in 0..<h {
                    let s = base + (r.y + y) * grey.width + r.x, d = dst + y * w
                    for x in 0..<w { d[x] = Float(s[x]) }
                }
            }
            initialised = w * h
        }
        self.init(width: w, height: h, pixels: values)
    }

    @inlinable
    public subscript(x: Int, y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Bilinear sample at (x, y) in pixel coordinates (pixel centres at integers), clamped at the border.
    @inlinable
    public func sample(_ x: Double, _ y: Double) -> Float {
        // NaN goes to 0 (Swift's max keeps a NaN): no position traps.
        let cx = x.isNaN ? 0 : min(max(x, 0), Double(width - 1)), cy = y.isNaN ? 0 : min(max(y, 0), Double(height - 1))
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        let fx = Float(cx - Double(x0)), fy = Float(cy - Double(y0))
        let a = pixels[y0 * width + x0], b = pixels[y0 * width + x1]
        let c = pixels[y1 * width + x0], d = pixels[y1 * width + x1]
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}
