import MSKReader
import MSKWriter

/// Why a report output could not be made. `description` is one line: what failed, which file,
/// and what to do.
public enum ReportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A text output (JSON, CSV, HTML) could not be written.
    case cannotWrite(path: String, reason: String)
    /// The overlay clip (or a key-frame image) could not be encoded.
    case writer(WriterError)
    /// The clip could not be read again for the overlays (second pass).
    case reread(ReaderError)
    /// The second pass decoded a different number of frames than the analysis.
    case clipChanged(path: String, analysed: Int, reread: Int)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "cannot write '\(path)': \(reason); check that the folder exists and is writable"
        case .writer(let error):
            return error.description
        case .reread(let error):
            return error.description
        case .clipChanged(let path, let analysed, let reread):
            return "\(path): \(analysed) frames were analysed but \(reread) were decoded for the overlays; the file changed during the run, run again"
        }
    }
}
