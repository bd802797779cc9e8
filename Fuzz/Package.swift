// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the parsers of untrusted bytes (see scripts/fuzz).
// A package of its own, so the main package's `swift build` / `swift test`
// never see these executables: they have no `main` of their own (libFuzzer's
// runtime supplies it) and only link when built with
//   -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
let fuzzTargets = ["safetensors", "zip", "pickle", "idx", "cifar", "gzip", "http"]

let package = Package(
    name: "landscape-fuzz",
    platforms: [.macOS(.v13)],
    products: fuzzTargets.map { .executable(name: "fuzz-\($0)", targets: ["fuzz-\($0)"]) },
    dependencies: [.package(name: "landscape", path: "..")],
    targets: [
        // libFuzzer's LLVMFuzzerRunDriver, declared for Swift.
        .target(name: "CLibFuzzer"),
        // The driver call, temp files, a stored-ZIP writer: shared by the targets.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
    ] + fuzzTargets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: [
            "FuzzSupport",
            name == "http" ? .product(name: "HTTPServer", package: "landscape")
                           : .product(name: "LandscapeIO", package: "landscape"),
        ])
    }
)
