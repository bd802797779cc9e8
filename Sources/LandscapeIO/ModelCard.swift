import Foundation
import LandscapeCore

/// The JSON file next to a model's weights (`NAME.json` beside
/// `NAME.safetensors`): what the model is, how it was trained and how well it
/// does. Every field is optional so cards from older runs still load.
public struct ModelCard: Sendable, Codable, Equatable {
    public var name: String?
    public var architecture: String?          // "resnet20"
    public var depth: Int?
    public var activation: String?            // "relu", "swish", "mish", "nish:0.5", ...
    public var dataset: String?               // "fashion-mnist", "cifar10"
    public var split: String?
    public var inputChannels: Int?
    public var classCount: Int?
    public var preprocessing: Preprocessing?
    public var recipe: [String: String]?
    public var seed: UInt64?
    public var epochs: Int?
    public var metrics: Metrics?
    public var parameterCount: Int?
    public var wallTimeSeconds: Double?
    public var trainingImagesPerSecond: Double?
    public var machine: String?
    public var commit: String?
    public var source: String?
    public var notes: String?

    public struct Preprocessing: Sendable, Codable, Equatable {
        public var mean: [Double]
        public var std: [Double]
        public init(mean: [Double], std: [Double]) { self.mean = mean; self.std = std }
    }

    public struct Metrics: Sendable, Codable, Equatable {
        public var trainLoss: Double?
        public var trainAccuracy: Double?
        public var testLoss: Double?
        public var testAccuracy: Double?
        public init(trainLoss: Double? = nil, trainAccuracy: Double? = nil, testLoss: Double? = nil,
                    testAccuracy: Double? = nil) {
            self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
            self.testLoss = testLoss; self.testAccuracy = testAccuracy
        }
    }

    public init() {}

    /// Where the card of a weights file lives: same path, extension `.json`.
    public static func url(forWeights weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("json")
    }

    /// The card beside `weights`, or nil if there is none. A card that exists
    /// but does not parse is an error, not silently ignored.
    public static func load(forWeights weights: URL) throws -> ModelCard? {
        let url = url(forWeights: weights)
        let bytes: [UInt8]
        do throws(InputFile.Problem) { bytes = try InputFile.read(path: url.path, limit: maxBytes) } catch {
            if error == .noSuchFile { return nil }
            throw ModelCardError(path: url.path, detail: error.description(expected: "a model card (.json)"))
        }
        do {
            return try LandscapeJSON.decoder.decode(ModelCard.self, from: Data(bytes))
        } catch {
            throw ModelCardError(path: url.path, detail: "not valid JSON of the expected form: \(error)")
        }
    }

    /// Largest model card read: 1 MiB. Cards are about 1.6 KB of JSON.
    static let maxBytes = 1 << 20

    public func encoded() throws -> Data { try LandscapeJSON.encode(self, pretty: true) }

    /// Writes the card beside `weights` (see `url(forWeights:)`), atomically.
    public func write(forWeights weights: URL) throws {
        let bytes = Array(try encoded()) + Array("\n".utf8)
        try AtomicFile.write(to: Self.url(forWeights: weights)) { try $0.write(bytes) }
    }
}

public struct ModelCardError: Error, CustomStringConvertible {
    public let path: String
    public let detail: String
    public var description: String { "model card \(path): \(detail)" }
}
