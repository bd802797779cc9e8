import Foundation
import FuzzSupport
import LandscapeIO

// Gzip.decompress (multi-member streams, truncation, corrupt data), reached
// the only public way: a `.gz` dataset file given to DatasetLoader, which
// gunzips it and then reads the result as CIFAR-10 records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard count > 0 else { return -1 }  // Foundation leaks reading an empty file (Fuzz/lsan.supp)
    let path = FuzzSupport.writeFile("test_batch.bin.gz", FuzzSupport.bytes(start, count))
    FuzzSupport.attempt("gzip") { try DatasetLoader.load(path: path, split: .test) }
    return 0
}

@_cdecl("fuzz_gzip_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
