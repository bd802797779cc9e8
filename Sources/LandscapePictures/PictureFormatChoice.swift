import Foundation
import Landscape
import LandscapeRender

extension Pictures {
    /// The picture format to write: the one asked for (`--format`, or the API's), else the
    /// output's extension, else PNG when the name has no extension. An extension that is not
    /// png, svg or pdf, or one that contradicts the format asked for, is refused: no more
    /// PNG bytes under an .svg name.
    public static func format(asked: PictureFormat?, output: String) throws(SpecError) -> PictureFormat {
        let ext = (output as NSString).pathExtension
        let choices = PictureFormat.allCases.map(\.rawValue).joined(separator: ", ")
        let named = PictureFormat(pathExtension: ext)
        if !ext.isEmpty && named == nil {
            throw SpecError("out", "extension .\(ext) is not one of \(choices)" + (asked.map { ": name the file .\($0.rawValue)" } ?? ""))
        }
        if let asked, let named, asked != named {
            throw SpecError("format", "'\(asked.rawValue)' contradicts the output's extension .\(ext): name the file .\(asked.rawValue) or leave --format out")
        }
        return asked ?? named ?? .png
    }
}
