import Foundation
import FuzzSupport
import LandscapeIO

// torch.save's zip format through the public loader: ZipArchive (end record,
// zip64 records, central directory, local headers, inflate, CRC), then
// data.pkl through the Unpickler and the storages into tensors. Inputs that
// do not sniff as a ZIP are skipped so that crashes of the other formats are
// found (and filed) by their own targets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(FuzzSupport.bytes(start, count))
    guard Checkpoint.sniff(data) == .torchZip else { return -1 }  // -1: not added to the corpus
    FuzzSupport.attempt("zip") { try Checkpoint.load(data: data, source: "fuzz.pt") }
    return 0
}

@_cdecl("fuzz_zip_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
