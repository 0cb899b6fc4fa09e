// The fixed workloads of the benchmark and their settings: what `cnn-lessons bench` runs. Each workload
// lives in its own file (BenchmarkSuite+GEMM.swift, +Convolution, +Training) and records its
// figures under the keys pytorch_reference.py uses too.

import Foundation
import CNN

/// The workloads, in the order `all` runs them.
public enum BenchmarkWorkload: String, CaseIterable, Sendable {
  case gemm, conv, lenet, modern, inference
}

/// One convolution of the benchmark: input (N, C, H, H), weight (K, C, k, k), stride 1.
struct ConvolutionShape: Sendable, Equatable {
  let name: String
  let batch: Int, inChannels: Int, outChannels: Int, size: Int, kernelSize: Int, padding: Int

  init(name: String, batch: Int, inChannels: Int, outChannels: Int, size: Int, kernelSize: Int, padding: Int) {
    (self.name, self.batch, self.inChannels, self.outChannels) = (name, batch, inChannels, outChannels)
    (self.size, self.kernelSize, self.padding) = (size, kernelSize, padding)
  }

  /// The four benchmark shapes: (a) LeNet-like first layer, (b) and (c) VGG-like 3x3 layers,
  /// (d) LeNet's second convolution.
  static let standard: [ConvolutionShape] = [
    ConvolutionShape(name: "a", batch: 64, inChannels: 1, outChannels: 32, size: 28, kernelSize: 3, padding: 1),
    ConvolutionShape(name: "b", batch: 32, inChannels: 64, outChannels: 64, size: 32, kernelSize: 3, padding: 1),
    ConvolutionShape(name: "c", batch: 32, inChannels: 128, outChannels: 128, size: 16, kernelSize: 3, padding: 1),
    ConvolutionShape(name: "d", batch: 64, inChannels: 6, outChannels: 16, size: 14, kernelSize: 5, padding: 0),
  ]

  /// Multiply-adds of the forward pass ×2: FLOP of the forward (backward is about twice that).
  var forwardFLOP: Double {
    let out = size + 2 * padding - kernelSize + 1
    return 2 * Double(batch * outChannels * out * out * inChannels * kernelSize * kernelSize)
  }
}

/// What to run and how often. The defaults are the full workloads; the tests shrink them.
public struct BenchmarkOptions: Sendable {
  /// Timed repetitions per figure (at least 3); training runs are cut into this many chunks.
  public var repetitions = 5
  /// Square GEMM sizes, each at 1 and 2 threads.
  var gemmSizes = [1024, 2048]
  var convolutionShapes = ConvolutionShape.standard
  /// Also time each algorithm that applies to a shape (not only the automatic choice).
  var perAlgorithm = true
  /// LeNet: batches to train; nil means one full epoch.
  public var lenetBatches: Int? = nil
  /// Modern network: batches per timed chunk, after `warmupBatches` untimed ones; ignored with `fullEpoch`.
  var modernBatchesPerRepetition = 10
  var warmupBatches = 2
  /// Modern network: train one full epoch (and report its test accuracy).
  public var fullEpoch = false
  /// Test images for the inference workload (all 10,000 by default), run at `inferenceBatchSize`.
  var inferenceImages = 10_000
  var inferenceBatchSize = 1000
  /// Training images used (nil: all 60,000); the tests use a few.
  var trainingImages: Int? = nil
  /// Whether the LeNet workload records this process's peak resident memory: true when it runs
  /// alone in a fresh process (the CLI's child), so the figure is the LeNet run's own.
  var recordsPeakMemory = false
  var batchSize = 64
  var learningRate: Float = 0.01
  var momentum: Float = 0.9
  var seed: UInt64 = 42

  public init() {}
}

/// Runs workloads and collects their figures into `results`; `log` receives a line per step.
final class BenchmarkSuite {
  let options: BenchmarkOptions
  var results = BenchmarkResults()
  let log: (String) -> Void
  private var trainingSet: Dataset?
  private var testSet: Dataset?

  init(options: BenchmarkOptions, log: @escaping (String) -> Void = { print($0) }) {
    self.options = options
    self.log = log
  }

  /// Runs one workload, adding its figures to `results`.
  func run(_ workload: BenchmarkWorkload) throws {
    let start = DispatchTime.now().uptimeNanoseconds
    switch workload {
    case .gemm: runGEMM()
    case .conv: try runConvolutions()
    case .lenet: try runLeNet()
    case .modern: try runModern()
    case .inference: try runInference()
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    log(String(format: "[%@ done in %.1f s]", workload.rawValue, seconds))
  }

  /// Records a figure and logs it.
  func record(_ key: String, _ figure: Figure) {
    results.record(key, figure)
    log("  \(key): best \(BenchmarkResults.format(figure.best)), median \(BenchmarkResults.format(figure.median))")
  }

  func record(_ key: String, value: Double) {
    results.record(key, value: value)
    log("  \(key): \(BenchmarkResults.format(value))")
  }

  /// Merges figures measured elsewhere (the CLI's child process for LeNet).
  func merge(_ other: BenchmarkResults) { results.merge(other) }

  // MARK: - Data, loaded once

  func training() throws -> Dataset {
    if let trainingSet { return trainingSet }
    let loaded = try Dataset.load(.bundledMNIST, split: .train, limit: options.trainingImages)
    trainingSet = loaded
    return loaded
  }

  func test() throws -> Dataset {
    if let testSet { return testSet }
    let loaded = try Dataset.load(.bundledMNIST, split: .test, limit: options.inferenceImages)
    testSet = loaded
    return loaded
  }
}
