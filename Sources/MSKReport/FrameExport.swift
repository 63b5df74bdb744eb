import Foundation
import MSKFiles
import MSKImage
import MSKReader

/// Decoded frames to Netpbm files (binary PGM `P5` for grey, PPM `P6` for RGB, maxval 255), one
/// file per frame, so a clip's decode can be compared with any other decoder's.
///
/// Frames are streamed from a `FrameSource`: one frame in memory at a time. Each frame is written
/// whole under a hidden temporary name; only when the whole clip has been decoded and written are
/// the temporary files renamed to their frame names. A clip that fails part way (or a Ctrl-C)
/// removes this run's temporary files and leaves every file already in the folder untouched.
/// The clip itself is never overwritten (a frame name that is the clip is refused before any work).
public enum FrameExporter {
    /// What to write.
    public struct Options: Sendable, Equatable {
        /// Write every `every`-th frame (frame indices 0, every, 2 * every, ...); at least 1.
        public var every: Int
        /// RGB frames as PPM instead of grey frames as PGM (the source must deliver RGB).
        public var rgb: Bool
        public init(every: Int = 1, rgb: Bool = false) {
            self.every = every
            self.rgb = rgb
        }
    }

    /// A finished export.
    public struct Result: Sendable, Equatable {
        /// Frames decoded, and files written.
        public let framesRead: Int
        public let filesWritten: Int
        /// The first and last files written (nil when none was).
        public let firstPath: String?
        public let lastPath: String?
    }

    /// Why an export failed; `description` is one line.
    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        /// The clip could not be read or decoded.
        case reader(ReaderError)
        /// The output folder is unusable, or a frame file could not be written.
        case output(path: String, reason: String)
        /// A frame's file name is the clip being read.
        case clash(path: String)

        public var description: String {
            switch self {
            case .reader(let error): return error.description
            case .clash(let path):
                return "frame file '\(path)' would overwrite the clip being read; give --out another folder"
            case .output(let path, let reason):
                return "cannot write '\(path)': \(reason); give a writable folder with free space"
            }
        }
    }

    /// The file name of frame `index`: `frame_000042.pgm` (`.ppm` for RGB).
    public static func fileName(index: Int, rgb: Bool) -> String {
        let digits = String(index)
        return "frame_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + (rgb ? ".ppm" : ".pgm")
    }

    /// Binary PGM: `P5\n<w> <h>\n255\n` and the rows, top to bottom.
    public static func pgm(_ image: GreyImage) -> Data {
        var data = Data("P5\n\(image.width) \(image.height)\n255\n".utf8)
        data.append(contentsOf: image.pixels)
        return data
    }

    /// Binary PPM: `P6\n<w> <h>\n255\n` and RGB triplets, top to bottom.
    public static func ppm(_ image: RGBImage) -> Data {
        var data = Data("P6\n\(image.width) \(image.height)\n255\n".utf8)
        data.append(contentsOf: image.pixels)
        return data
    }

    /// Writes the frames of `source` into `directory` (created when missing). `progress` is
    /// called with the number of frames decoded so far.
    @discardableResult
    public static func export(_ source: any FrameSource, into directory: String, options: Options = Options(),
                              progress: (Int) -> Void = { _ in }) throws(Failure) -> Result {
        precondition(options.every >= 1, "FrameExporter: every must be at least 1")
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        var madeFolder = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .output(path: directory, reason: "it is a file, not a folder") }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw .output(path: directory, reason: "the folder cannot be created (\(OutputFolder.reason(creating: directory, errno: errno)))")
            }
            madeFolder = true
        }
        guard fm.isWritableFile(atPath: directory) else { throw .output(path: directory, reason: "the folder is not writable") }

        // The frames go to temporary names first: nothing in the folder is replaced before the
        // clip is known to decode to the end.
        var staged: [(temporary: String, path: String)] = []
        func undo() {
            for file in staged { TemporaryName.discard(file.temporary) }
            if madeFolder { try? fm.removeItem(atPath: directory) }
        }
        let clipIdentity = FileIdentity.of(source.info.path)
        var read = 0
        do throws(Failure) {
            while true {
                let next: Frame?
                do { next = try source.nextFrame() } catch { throw .reader(error) }
                guard let frame = next else { break }
                read += 1
                progress(read)
                guard frame.index % options.every == 0 else { continue }
                let data: Data
                if options.rgb {
                    guard let rgb = frame.rgb else {
                        throw .reader(.decodingFailed(path: source.info.path, frameIndex: frame.index, reason: "no RGB picture was delivered"))
                    }
                    data = ppm(rgb)
                } else {
                    data = pgm(frame.grey)
                }
                let path = (directory as NSString).appendingPathComponent(fileName(index: frame.index, rgb: options.rgb))
                if FileIdentity.of(path) == clipIdentity { throw .clash(path: path) }
                let temporary = TemporaryName.beside(path)
                staged.append((temporary, path))
                do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
                    throw .output(path: path, reason: (error as NSError).localizedDescription)
                }
            }
            for (i, file) in staged.enumerated() {
                do { try TemporaryName.commit(file.temporary, to: file.path) } catch {
                    // Only the frames not yet renamed are left to remove.
                    staged = Array(staged[(i + 1)...])
                    throw .output(path: file.path, reason: (error as NSError).localizedDescription)
                }
            }
        } catch {
            undo()
            throw error
        }
        let written = staged.map(\.path)
        return Result(framesRead: read, filesWritten: written.count, firstPath: written.first, lastPath: written.last)
    }
}
