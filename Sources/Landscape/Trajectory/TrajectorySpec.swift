import Foundation
import LandscapeCore
import LandscapeEngine

/// The caps that keep one trajectory request from taking the machine.
public struct TrajectoryLimits: Sendable, Codable, Equatable {
    /// Snapshots per path: the PCA holds them as one float64 matrix, 250 × 270k
    /// ResNet-20 weights ≈ 540 MB (the shipped paths have 20–100 points).
    public var maximumSnapshots = 250
    public init() {}
}

/// One request for the PCA plane of a training path (Li et al. 2018, §7):
/// the snapshots written by `landscape train --snapshots`, the final model
/// they lead to, and the reference's choices of what to include. The CLI
/// builds it from its flags (and the API from JSON); `validated(limits:)`
/// checks the fields, `TrajectoryInput.load` the files, both before any work.
public struct TrajectorySpec: Sendable, Equatable {
    /// A directory of snapshot safetensors files (`step-NNNNNNN` or `epoch-NNN`).
    public var snapshots: String
    /// The final model, the origin of the plane (θ_i − θ_final).
    public var model: String
    /// Which tensors: trainable weights (the reference's `--dir_type weights`) or the whole state.
    public var mode: DirectionMode = .weights
    /// 1-D tensors (BN, biases): ignored as with the reference's `--ignore biasbn`, or included (`none`).
    public var ignore: DirectionIgnore = .biasbn
    /// How the components are computed (both float64; the other is the check).
    public var method: PrincipalComponents.Method = .gramEigen

    public init(snapshots: String, model: String) { self.snapshots = snapshots; self.model = model }

    public func validated(limits: TrajectoryLimits) throws {
        guard !snapshots.isEmpty else { throw SpecError("snapshots", "expected a directory of snapshot files") }
        guard !model.isEmpty else { throw SpecError("model", "expected the final model's file") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: snapshots, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SpecError("snapshots", "\(snapshots) is not a directory: expected the --snapshots DIR of `landscape train`")
        }
        guard FileManager.default.fileExists(atPath: model) else { throw SpecError("model", "no file at \(model)") }
        let count = try Self.snapshotFiles(in: snapshots).count
        guard count >= 3 else {
            throw SpecError("snapshots", "\(snapshots) holds \(count) snapshot file\(count == 1 ? "" : "s"): "
                + "expected at least 3 (two principal components need three points not on one line)")
        }
        guard count <= limits.maximumSnapshots else {
            throw SpecError("snapshots", "\(snapshots) holds \(count) snapshot files: expected at most \(limits.maximumSnapshots) "
                + "(use a larger --snapshot-every)")
        }
    }

    /// The `.safetensors` files of a snapshot directory, sorted by name.
    public static func snapshotFiles(in directory: String) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw SpecError("snapshots", "cannot list \(directory): \(error.localizedDescription)")
        }
        return names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0) }
    }

    /// Every field with its type and default (for the API's OpenAPI document and limits).
    public static func fields(limits: TrajectoryLimits) -> [SpecField] {
        let defaults = TrajectorySpec(snapshots: "", model: "")
        return [
            SpecField(name: "snapshots", type: "string", description: "directory of training snapshots (landscape train --snapshots)",
                      defaultValue: nil, allowed: nil, minimum: 3, maximum: limits.maximumSnapshots, required: true),
            SpecField(name: "model", type: "string", description: "the final model (the plane's origin)",
                      defaultValue: nil, allowed: nil, minimum: nil, maximum: nil, required: true),
            SpecField(name: "mode", type: "string", description: "weights (parameters only) or states (BN running statistics too)",
                      defaultValue: defaults.mode.rawValue, allowed: DirectionMode.allCases.map(\.rawValue), minimum: nil, maximum: nil,
                      required: false),
            SpecField(name: "ignore", type: "string", description: "1-D tensors: biasbn (left out, as the reference's --ignore biasbn) or none",
                      defaultValue: defaults.ignore.rawValue, allowed: DirectionIgnore.allCases.map(\.rawValue), minimum: nil,
                      maximum: nil, required: false),
            SpecField(name: "method", type: "string", description: "gram-eigen (dsyrk + dsyev) or svd (dgesdd), float64",
                      defaultValue: defaults.method.rawValue, allowed: PrincipalComponents.Method.allCases.map(\.rawValue),
                      minimum: nil, maximum: nil, required: false),
        ]
    }
}
