import Foundation
import FuzzSupport
import LandscapeIO

/// Storage entries offered to a zip-wrapped pickle: keys "0"..."3" (what
/// torch.save names its first storages), 256 float32 zeros each.
let constantMembers = [FuzzSupport.ZipMember("archive/byteorder", Array("little".utf8))]
    + (0..<4).map { FuzzSupport.ZipMember("archive/data/\($0)", [UInt8](repeating: 0, count: 1024)) }

// The restricted Unpickler (opcodes, memo, marks, allow-listed globals,
// persistent ids) and what TorchCheckpoint builds from its objects, two ways:
// 1. the input as a legacy `.th` file (it must start with PROTO, 0x80, for
//    Checkpoint to take it as one; its first pickle is unpickled whatever it is);
// 2. the input as `archive/data.pkl` of a well-formed stored ZIP with a
//    little-endian byteorder and a few storages, so the zip format's own
//    persistent ids and storage reads are reached without fighting the CRC.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzSupport.bytes(start, count)
    if bytes.first == 0x80 {
        FuzzSupport.attempt("legacy") { try Checkpoint.load(data: Data(bytes), source: "fuzz.th") }
    }
    let zip = FuzzSupport.storedZip([FuzzSupport.ZipMember("archive/data.pkl", bytes)] + constantMembers)
    FuzzSupport.attempt("zip-wrapped") { try Checkpoint.load(data: Data(zip), source: "fuzz-wrapped.pt") }
    return 0
}

@_cdecl("fuzz_pickle_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
