import Foundation

/// The seeds of a study as the user writes them: an inclusive range `0:19`, a list `0,3,7`,
/// or both (`0:4,9`). Parsed once (the CLI's `--seeds` and the API's string form); duplicates
/// and the count are the spec's to refuse (`SeedStudySpec.validated`), so they are kept here.
public struct SeedList: Sendable, Equatable, CustomStringConvertible {
    public var seeds: [UInt64]

    public init(_ seeds: [UInt64]) { self.seeds = seeds }

    /// A range longer than this is refused while parsing, before it is expanded into memory
    /// (`0:18446744073709551615` must not allocate); the spec's limit is far lower.
    public static let maximumParsed = 100_000

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public init(parsing text: String) throws(ParseError) {
        func refuse(_ why: String) -> ParseError {
            ParseError(description: "'\(text)': \(why); expected an inclusive range START:END (0:19), a list (0,3,7) or both (0:4,9)")
        }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw refuse("no seed given") }
        var seeds: [UInt64] = []
        for item in items {
            guard !item.isEmpty else { throw refuse("an empty item") }
            let ends = item.split(separator: ":", omittingEmptySubsequences: false)
            guard ends.count <= 2, let start = UInt64(ends[0]), let end = UInt64(ends.last!) else {
                throw refuse("'\(item)' is not a non-negative integer or START:END")
            }
            guard start <= end else { throw refuse("range \(item) ends before it starts") }
            guard end - start < UInt64(Self.maximumParsed - seeds.count) else {
                throw refuse("more than \(Self.maximumParsed) seeds")
            }
            seeds.append(contentsOf: start...end)
        }
        self.seeds = seeds
    }

    /// `0:19` for a contiguous ascending run, else the list `0,3,7`.
    public var description: String {
        guard let first = seeds.first, let last = seeds.last else { return "" }
        if seeds.count > 2, seeds == Array(first...last) { return "\(first):\(last)" }
        return seeds.map(String.init).joined(separator: ",")
    }
}
