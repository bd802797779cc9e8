import Foundation

/// Everything that can go wrong reading or writing a checkpoint. Every case
/// carries the file (`source`) so a message alone says which file is bad and
/// what was expected.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The path is not a checkpoint file that can be read: missing, a
    /// directory, a FIFO, unreadable or over the size limit.
    case file(source: String, problem: String)
    /// The content matches none of the supported formats.
    case unknownFormat(source: String, firstBytes: String)
    /// A structural problem in a safetensors file (header, offsets, sizes).
    case safetensors(source: String, problem: String)
    /// A safetensors or torch dtype this loader cannot convert to Float.
    case unsupportedDType(source: String, tensor: String, dtype: String)
    /// A structural problem in a ZIP archive (torch.save's zip format).
    case zip(source: String, problem: String)
    /// A malformed pickle stream (bad opcode, truncated, stack underflow).
    case pickle(source: String, offset: Int, problem: String)
    /// A pickle asked for a global outside the allow-list: refused, never run.
    case forbiddenGlobal(source: String, name: String)
    /// The unpickled objects are not a PyTorch state dict we understand.
    case torch(source: String, problem: String)
    /// The file ends before the data its own headers announce.
    case truncated(source: String, detail: String)
    /// The checkpoint held no tensors at all.
    case noTensors(source: String)

    public var description: String {
        switch self {
        case let .file(source, problem):
            return "\(source): \(problem)"
        case let .unknownFormat(source, firstBytes):
            return "\(source): not a safetensors, PyTorch zip or legacy PyTorch checkpoint (starts with \(firstBytes))"
        case let .safetensors(source, problem):
            return "\(source): invalid safetensors file: \(problem)"
        case let .unsupportedDType(source, tensor, dtype):
            return "\(source): tensor '\(tensor)' has unsupported dtype \(dtype) (expected F32, F16, BF16, F64 or an integer type)"
        case let .zip(source, problem):
            return "\(source): invalid ZIP archive: \(problem)"
        case let .pickle(source, offset, problem):
            return "\(source): invalid pickle at byte \(offset): \(problem)"
        case let .forbiddenGlobal(source, name):
            return "\(source): refusing to load: the pickle references \(name), which is not on the allow-list of "
                + "PyTorch state-dict globals (a pickle can run arbitrary code; only tensors and dicts are accepted)"
        case let .torch(source, problem):
            return "\(source): invalid PyTorch checkpoint: \(problem)"
        case let .truncated(source, detail):
            return "\(source): file is truncated: \(detail)"
        case let .noTensors(source):
            return "\(source): the checkpoint contains no tensors"
        }
    }
}

extension CheckpointError {
    /// What the file errors say was expected.
    static let expectedFile = "a checkpoint file (.safetensors, .pt, .th)"

    /// Reads a whole checkpoint file (at most `Checkpoint.maxFileBytes`),
    /// with an error that says why not in our words.
    static func readFile(_ url: URL) throws -> Data {
        do throws(InputFile.Problem) {
            return Data(try InputFile.read(path: url.path, limit: Checkpoint.maxFileBytes))
        } catch {
            throw CheckpointError.file(source: url.path, problem: error.description(expected: expectedFile))
        }
    }
}
