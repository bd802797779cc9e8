import Foundation

/// Finds and reads a dataset from a path:
/// - a CIFAR-10 binary file, raw or gzip (any number of records; the split is recorded as given),
/// - a directory with CIFAR-10's `data_batch_1..5.bin` (train) or `test_batch.bin`
///   (test), directly or in a `cifar-10-batches-bin` subfolder,
/// - a directory with the IDX files of MNIST or Fashion-MNIST
///   (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-...`), raw or `.gz`.
///
/// The IDX files of MNIST and Fashion-MNIST are indistinguishable, so the
/// directory decides: its own name containing "fashion" (any case) means
/// Fashion-MNIST (`/usr/share/datasets/fashion-mnist`, the upstream
/// repository's `data/fashion`); anything else is MNIST.
public enum DatasetLoader {
    public static func load(path: String, split: DatasetSplit) throws -> ImageDataset {
        if DatasetFile.exists(path) {
            return try CIFAR10Reader.load(paths: [path], split: split, sourcePath: path)
        }
        guard DatasetFile.isDirectory(path) else { throw DatasetError.notFound(path: path) }
        let directory = URL(fileURLWithPath: path)

        let cifarDirectories = [directory, directory.appendingPathComponent(CIFAR10Reader.subfolder)]
        for folder in cifarDirectories {
            let files = CIFAR10Reader.files(for: split).map { folder.appendingPathComponent($0).path }
            if files.allSatisfy(DatasetFile.exists) {
                return try CIFAR10Reader.load(paths: files, split: split, sourcePath: folder.path)
            }
        }
        let idx = IDXReader.candidates(for: split)
        let images = idx.images.map { directory.appendingPathComponent($0).path }.first(where: DatasetFile.exists)
        let labels = idx.labels.map { directory.appendingPathComponent($0).path }.first(where: DatasetFile.exists)
        if let images, let labels {
            return try IDXReader.load(imagesPath: images, labelsPath: labels, name: idxName(directory: directory),
                                      split: split, sourcePath: directory.path)
        }
        throw DatasetError.missingFiles(directory: path, lookedFor: lookedFor(directory: directory, split: split))
    }

    /// "fashion-mnist" when the directory's name contains "fashion", else "mnist".
    static func idxName(directory: URL) -> String {
        directory.standardized.lastPathComponent.lowercased().contains("fashion") ? "fashion-mnist" : "mnist"
    }

    /// The files a split needs, narrowed to one format when the directory
    /// already holds some of that format's files.
    private static func lookedFor(directory: URL, split: DatasetSplit) -> [String] {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let sub = (try? FileManager.default.contentsOfDirectory(
            atPath: directory.appendingPathComponent(CIFAR10Reader.subfolder).path)) ?? []
        let cifarNames = CIFAR10Reader.trainFiles + CIFAR10Reader.testFiles
        let idxNames = DatasetSplit.allCases.flatMap { IDXReader.candidates(for: $0).images + IDXReader.candidates(for: $0).labels }
        let cifar = CIFAR10Reader.files(for: split)
        let cifarWanted = cifar + cifar.map { "\(CIFAR10Reader.subfolder)/\($0)" }
        let idx = IDXReader.candidates(for: split)
        let idxWanted = ["\(idx.images.joined(separator: " or ")) with \(idx.labels.joined(separator: " or "))"]
        let hasCIFAR = !Set(contents + sub).isDisjoint(with: cifarNames)
        let hasIDX = !Set(contents).isDisjoint(with: idxNames)
        switch (hasCIFAR, hasIDX) {
        case (true, false):
            let missing = cifar.filter { !(contents.contains($0)) }
            let missingSub = cifar.filter { !(sub.contains($0)) }.map { "\(CIFAR10Reader.subfolder)/\($0)" }
            return sub.isEmpty ? missing : missingSub
        case (false, true): return idxWanted
        default: return cifarWanted + idxWanted
        }
    }
}
