import ArgumentParser
import Landscape

/// The library's specs name their fields as the API does (`bn_mode`); a command says them as its
/// flags (`--bn`), so a refusal reads in the words the user typed.
enum SpecFlags {
    static func of(_ error: SpecError, renamed: [String: String] = [:]) -> String {
        let flags = error.field.components(separatedBy: ", ")
            .map { renamed[$0] ?? "--" + $0.replacingOccurrences(of: "_", with: "-") }
        return flags.joined(separator: ", ") + ": " + error.problem
    }
}
