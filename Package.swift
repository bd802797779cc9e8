// swift-tools-version:6.0
import PackageDescription

// One module, one job (see ../shared/docs/ARCHITECTURE.md):
// file -> LandscapeIO -> (LandscapeCore types) -> LandscapeEngine -> Landscape -> LandscapeRender / LandscapeService -> HTTP.
// -Ounchecked only where it measurably pays and nothing from outside is parsed:
// the engine's inner loops. Every module that reads files or requests (IO,
// Landscape, the service, the server) builds with the default checked -O, so an
// overflow that slipped past an explicit check traps instead of corrupting memory.
let engineOptimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "landscape",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "landscape", targets: ["landscape"]),
        // For the separate fuzzing package in Fuzz/ (a path dependency sees only products).
        .library(name: "LandscapeCore", targets: ["LandscapeCore"]),
        .library(name: "LandscapeIO", targets: ["LandscapeIO"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries; `scripts/install-deps` installs their apt packages.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Debian's serial HDF5 (pkg-config `hdf5`: headers under /usr/include/hdf5/serial).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // MPI, loaded with dlopen at run time, not linked (a plain run needs no MPI installed): OpenMPI 4's
        // ABI for the dozen calls LandscapeDistributed makes. No build dependency; CI's openmpi-bin
        // (install-deps --test) runs the MPI tests, libopenmpi-dev's mpicc checks these declarations.
        .target(name: "CMPI"),
        // oneDNN 2.6 (Debian's libdnnl-dev; no pkg-config file): `--convolution onednn`. Only the engine imports it.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // Shared plain types: Tensor, StateDict, ParameterLayout, SeededGenerator, the one atomic
        // writer (fsync + rename) and the one JSON coding. Foundation only.
        .target(name: "LandscapeCore"),
        // The engine's hand-written AVX2 convolution kernel (C: Swift has no AVX2 intrinsics).
        .target(name: "CDirectConvolution", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        // Tensors, layers, activations, ResNet forward/backward. Only module that knows BLAS.
        .target(name: "LandscapeEngine", dependencies: ["LandscapeCore", "COpenBLAS", "CDirectConvolution", "CDNNL"], swiftSettings: engineOptimized),
        // Checkpoints (safetensors, PyTorch zip/legacy pickle) and datasets (CIFAR-10, IDX).
        .target(name: "LandscapeIO", dependencies: ["LandscapeCore", "CZlib"]),
        // Directions, grids, surfaces, progressive order, the resumable store.
        .target(name: "Landscape", dependencies: ["LandscapeCore", "LandscapeEngine", "LandscapeIO"]),
        // PNG plots from plain arrays. Only module that knows cairo.
        .target(name: "LandscapeRender", dependencies: ["CCairo"]),
        // What to draw: surfaces, activations and output landscapes as plot data with titles from the
        // data; the CLI and the service both draw through it (neither holds picture code of its own).
        .target(name: "LandscapePictures", dependencies: ["LandscapeCore", "Landscape", "LandscapeRender", "LandscapeEngine", "LandscapeIO"]),
        // Results that leave the tool: HDF5 in Li et al.'s layout (and its import), CSV, npz, VTK, OBJ/PLY.
        // Only module that knows HDF5.
        .target(name: "LandscapeExport", dependencies: ["LandscapeCore", "Landscape", "LandscapeIO", "LandscapeEngine", "CHDF5"]),
        // A surface's points over MPI ranks (mpirun/srun). Only module that knows MPI.
        .target(name: "LandscapeDistributed", dependencies: ["Landscape", "LandscapeEngine", "CMPI"]),
        // HTTP/1.1 on POSIX sockets. Knows nothing about neural networks.
        .target(name: "HTTPServer"),
        // API routes, jobs, event streams: the wiring of everything above.
        .target(name: "LandscapeService",
                dependencies: ["HTTPServer", "LandscapeCore", "Landscape", "LandscapePictures", "LandscapeRender", "LandscapeExport", "LandscapeIO", "LandscapeEngine"]),
        .executableTarget(name: "landscape", dependencies: [
            "LandscapeService", "LandscapePictures", "LandscapeExport", "LandscapeDistributed", "Landscape", "LandscapeCore", "LandscapeRender", "LandscapeIO", "LandscapeEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "LandscapeEngineTests", dependencies: ["LandscapeEngine", "LandscapeCore"]),
        .testTarget(name: "LandscapeIOTests", dependencies: ["LandscapeIO", "LandscapeCore", "LandscapeEngine"]),
        .testTarget(name: "LandscapeTests", dependencies: ["Landscape", "LandscapeCore", "LandscapeIO", "LandscapeEngine"]),
        .testTarget(name: "LandscapeRenderTests", dependencies: ["LandscapeRender", "CCairo"]),
        .testTarget(name: "LandscapePicturesTests", dependencies: ["LandscapePictures", "Landscape", "LandscapeCore", "LandscapeRender", "LandscapeEngine"]),
        .testTarget(name: "LandscapeExportTests",
                    dependencies: ["LandscapeExport", "Landscape", "LandscapeCore", "LandscapeIO", "LandscapeEngine", "LandscapePictures"]),
        .testTarget(name: "LandscapeDistributedTests",
                    dependencies: ["LandscapeDistributed", "Landscape", "LandscapeCore", "LandscapeEngine", "LandscapeIO"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "LandscapeServiceTests",
                    dependencies: ["LandscapeService", "HTTPServer", "Landscape", "LandscapeCore", "LandscapeEngine", "LandscapeIO", "LandscapeExport"]),
    ]
)
