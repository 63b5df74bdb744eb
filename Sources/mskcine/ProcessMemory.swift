#if canImport(Glibc)
import Glibc
#endif

/// The process's heap policy for frame-by-frame analysis.
///
/// Every frame allocates the same few large buffers (the belly masks, the region labels, the
/// summed-area table: 0.3-2 MB each at 640x480) and frees them at the frame's end. glibc serves
/// blocks that size with `mmap` and gives them back to the kernel on `free`, so each frame paid
/// again for zeroed pages: about 13 000 page faults on a 150-frame 640x480 clip, 4-6 % of its
/// run time (`Docs/methods.md`, Speed and memory). Raising the mmap and trim thresholds keeps
/// the freed blocks in the heap for the next frame; peak memory grows by about 2 MB.
///
/// `mallopt` is declared in `<malloc.h>`, which Swift's Glibc module does not export, so it is
/// looked up by name; where it is missing (another C library) nothing changes.
enum ProcessMemory {
    static func keepFreedBlocksForReuse() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        _ = mallopt(mmapThreshold, 64 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }
}
