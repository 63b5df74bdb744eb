/// The engine version written into every result.
enum EngineVersion {
    static let string = "0.1.0"
}
