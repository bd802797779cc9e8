import Foundation

/// Reading a file a user named, with errors that say what is wrong with the
/// path (Foundation's own say "The operation could not be completed").
public enum InputFile {
    /// The bytes of `url`; `what` names the role ("model", "surface"), `expected` the kind of file wanted.
    public static func read(_ url: URL, what: String, expected: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw LandscapeError.invalidRequest("\(what) \(url.path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw LandscapeError.invalidRequest("\(what) \(url.path): is a directory, expected \(expected)")
        }
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw LandscapeError.invalidRequest("\(what) \(url.path): permission denied")
        }
        do { return try Data(contentsOf: url) } catch {
            throw LandscapeError.invalidRequest("\(what) \(url.path): cannot be read (\(String(cString: strerror(errno))))")
        }
    }
}
