import Foundation
import FuzzSupport
import LandscapeIO

// IDXReader (reachable only through DatasetLoader.load(path:split:) with a
// directory, so the input is written to two files per run). Input layout:
//   2 bytes big-endian L, then L bytes of t10k-labels-idx1-ubyte, then the
//   rest as t10k-images-idx3-ubyte
// (L is clamped to what is there; neither file may be empty). Either file may be gzip (the reader sniffs
// 1f 8b). The folder is named "fashion" so the Fashion-MNIST class names apply.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzSupport.bytes(start, count)
    guard bytes.count >= 2 else { return -1 }
    let labelLength = min(Int(bytes[0]) << 8 | Int(bytes[1]), bytes.count - 2)
    // No empty files: Foundation leaks on them (Fuzz/lsan.supp), which makes
    // libFuzzer run a leak check on every such input, and they reach nothing new.
    guard labelLength > 0, labelLength < bytes.count - 2 else { return -1 }
    FuzzSupport.writeFile("fashion/t10k-labels-idx1-ubyte", Array(bytes[2..<2 + labelLength]))
    FuzzSupport.writeFile("fashion/t10k-images-idx3-ubyte", Array(bytes[(2 + labelLength)...]))
    let folder = FuzzSupport.scratchDirectory + "/fashion"
    if let dataset = FuzzSupport.attempt("idx", { try DatasetLoader.load(path: folder, split: .test) }), dataset.count > 0 {
        var batch = [Float](repeating: 0, count: dataset.imageSize)
        try? batch.withUnsafeMutableBufferPointer {
            try dataset.fillBatch(indices: [dataset.count - 1], normalization: .default(for: dataset), into: $0.baseAddress!)
        }
    }
    return 0
}

@_cdecl("fuzz_idx_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
