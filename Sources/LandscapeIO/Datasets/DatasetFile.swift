import Foundation

/// Reading a dataset file whole, gunzipping it when it is gzip.
enum DatasetFile {
    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw exists(path) ? DatasetError.unreadable(path: path, reason: "cannot open for reading")
                               : DatasetError.notFound(path: path)
        }
        let prefix = [UInt8]((try? handle.read(upToCount: 2)) ?? Data())
        try? handle.close()
        if Gzip.isGzip(path: path, prefix: prefix) { return try Gzip.decompress(path: path) }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DatasetError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
    }
}
