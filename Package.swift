// swift-tools-version: 6.0
import PackageDescription

// Release builds target this machine's vector units (AVX2/FMA here): without it, SIMD
// `addingProduct` lowers to calls to `fmaf` and the kernels run over 100x slower.
// Guarded so that other architectures still build with the toolchain's defaults.
#if arch(x86_64)
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))]
#else
let nativeCPU: [SwiftSetting] = []
#endif

let package = Package(
  name: "cnn-lessons",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "CNN", targets: ["CNN"]),
    .executable(name: "cnn-lessons", targets: ["cnn-lessons"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .systemLibrary(
      name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    // The network: tensors, layers, losses, optimizers, training, models, checkpoints, data.
    .target(
      name: "CNN",
      dependencies: ["CZlib"],
      resources: [.copy("Resources/MNIST")],
      swiftSettings: nativeCPU),
    // Figures: canvas, font, colour maps, charts, heatmaps, image grids, PNG through libpng.
    .target(
      name: "Plotting",
      dependencies: ["CNN", "CLibPNG"],
      swiftSettings: nativeCPU),
    // `cnn-lessons bench`: the fixed workloads, their timing, results and the PyTorch comparison.
    .target(
      name: "Benchmarks",
      dependencies: ["CNN"],
      exclude: ["pytorch_reference.py"],
      swiftSettings: nativeCPU),
    // The chapters, the page each writes, and the runner.
    .target(
      name: "Lessons",
      dependencies: ["CNN", "Plotting", "Benchmarks"],
      path: "Lessons",
      swiftSettings: nativeCPU),
    .executableTarget(
      name: "cnn-lessons",
      dependencies: [
        "CNN", "Lessons", "Benchmarks",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: nativeCPU),
    .target(
      name: "CNNTestSupport",
      dependencies: ["CNN"],
      path: "Tests/CNNTestSupport",
      swiftSettings: nativeCPU),
    .testTarget(
      name: "CNNTests",
      dependencies: ["CNN", "CNNTestSupport"],
      exclude: ["Fixtures/make_fixtures.py"],
      resources: [.copy("Fixtures")],
      swiftSettings: nativeCPU),
    .testTarget(
      name: "PlottingTests",
      dependencies: ["CNN", "Plotting", "CNNTestSupport"],
      swiftSettings: nativeCPU),
    .testTarget(
      name: "BenchmarksTests",
      dependencies: ["CNN", "Benchmarks", "CNNTestSupport"],
      swiftSettings: nativeCPU),
    .testTarget(
      name: "LessonsTests",
      dependencies: ["CNN", "Plotting", "Lessons", "CNNTestSupport", "cnn-lessons"],
      swiftSettings: nativeCPU),
  ],
  swiftLanguageModes: [.v6]
)
