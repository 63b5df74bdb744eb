/// An 8-bit grey image: row-major, contiguous, `width * height` bytes, no row padding.
///
/// Grey levels are data (echo intensity is measured on them): nothing in MSKCine stretches them
/// silently. Values are 0...255 as decoded.
public struct GreyImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major pixels; the pixel at (x, y) is `pixels[y * width + x]`.
    public var pixels: [UInt8]

    /// An image over existing pixels. `pixels.count` must be `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GreyImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image.
    public init(width: Int, height: Int, value: UInt8 = 0) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    /// An image whose every pixel is written once by `fill`, which receives the uninitialised
    /// row-major buffer (no zero-fill pass first).
    @inlinable
    public init(width: Int, height: Int, fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        let count = width * height
        let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
            try fill(buffer)
            initialised = count
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    @inlinable
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

/// A 24-bit RGB image: row-major, contiguous, 3 bytes per pixel (R, G, B), no row padding.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major interleaved R, G, B bytes; pixel (x, y) starts at `3 * (y * width + x)`.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == 3 * width * height,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, red: UInt8 = 0, green: UInt8 = 0, blue: UInt8 = 0) {
        var pixels = [UInt8](repeating: 0, count: 3 * width * height)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = red; pixels[i + 1] = green; pixels[i + 2] = blue
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    @inlinable
    public init(width: Int, height: Int, fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        let count = 3 * width * height
        let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
            try fill(buffer)
            initialised = count
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}
