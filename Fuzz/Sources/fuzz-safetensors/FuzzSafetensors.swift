import Foundation
import FuzzSupport
import LandscapeIO

// Safetensors.read(data:source:): header length, JSON header, offsets, dtypes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(FuzzSupport.bytes(start, count))
    if let dict = FuzzSupport.attempt("safetensors", { try Safetensors.read(data: data, source: "fuzz.safetensors") }) {
        _ = dict.items.count
    }
    return 0
}

@_cdecl("fuzz_safetensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.runDriver(argc, argv, fuzzOneInput)
}
