import Foundation
import FuzzSupport
import LandscapeIO

// CIFAR10Reader through DatasetLoader.load(path:split:) with a file path (the
// only public way in): the input is written to a file per run. Gzip inputs
// (1f 8b) are left to the gzip target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzSupport.bytes(start, count)
    if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b { return -1 }
    if bytes.isEmpty { return -1 }  // Foundation leaks reading an empty file (Fuzz/lsan.supp)
    let path = FuzzSupport.writeFile("test_batch.bin", bytes)
    if let dataset = FuzzSupport.attempt("cifar", { try DatasetLoader.load(path: path, split: .test) }), dataset.count > 0 {
        var batch = [Float](repeating: 0, count: dataset.imageSize)
        try? batch.withUnsafeMutableBufferPointer {
            try dataset.fillBatch(indices: [dataset.count - 1], normalization: .cifar10, into: $0.baseAddress!)
        }
    }
    return 0
}

@_cdecl("fuzz_cifar_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
