// The convolution workload: forward and forward+backward milliseconds of one Conv2D layer for
// each fixed shape (with the layer's automatic algorithm, then each algorithm that applies), and
// 2x2 max pooling forward+backward on the output of shape (b).

import CNN

extension BenchmarkSuite {
  func runConvolutions() throws {
    var generator = SeededGenerator(seed: options.seed)
    let timer = Benchmark(repetitions: options.repetitions)
    for shape in options.convolutionShapes {
      let layer = try Conv2D(
        inChannels: shape.inChannels, outChannels: shape.outChannels, kernelSize: shape.kernelSize,
        padding: shape.padding, using: &generator)
      let input = Tensor(randomUniform: [shape.batch, shape.inChannels, shape.size, shape.size], in: -1...1, using: &generator)
      let outputShape = try layer.forward(input, mode: .inference).shape
      let gradOutput = Tensor(randomUniform: outputShape, in: -1...1, using: &generator)
      let automatic = layer.resolvedAlgorithm(height: shape.size, width: shape.size)
      log("conv (\(shape.name)): N\(shape.batch) C\(shape.inChannels) K\(shape.outChannels) \(shape.size)x\(shape.size) "
          + "\(shape.kernelSize)x\(shape.kernelSize) pad \(shape.padding); automatic = \(automatic.rawValue)")
      results.meta["conv.\(shape.name).algorithm"] = automatic.rawValue

      let key = "conv.\(shape.name)"
      record(key + ".fwd.ms", try timer.measure { _ = try layer.forward(input, mode: .inference) }.milliseconds)
      record(key + ".fwdbwd.ms", try timer.measure {
        _ = try layer.forward(input, mode: .training)
        _ = try layer.backward(gradOutput)
      }.milliseconds)

      guard options.perAlgorithm else { continue }
      for algorithm in ConvolutionAlgorithm.allCases where algorithm != .direct && algorithm != .automatic {
        layer.algorithm = algorithm
        // Winograd falls back to im2col where it does not apply: no separate row then.
        guard layer.resolvedAlgorithm(height: shape.size, width: shape.size) == algorithm else { continue }
        // One trial first: an algorithm far off the pace for this shape (FFT on 3x3) is skipped
        // rather than timed for minutes.
        let trial = try Benchmark.time {
          _ = try layer.forward(input, mode: .training)
          _ = try layer.backward(gradOutput)
        }
        if trial > 3 {
          log("  \(key).\(algorithm.rawValue): one forward+backward took \(Int(trial)) s; not timed further")
          continue
        }
        let algorithmKey = "\(key).\(algorithm.rawValue)"
        record(algorithmKey + ".fwd.ms", try timer.measure { _ = try layer.forward(input, mode: .inference) }.milliseconds)
        record(algorithmKey + ".fwdbwd.ms", try timer.measure {
          _ = try layer.forward(input, mode: .training)
          _ = try layer.backward(gradOutput)
        }.milliseconds)
      }
      layer.algorithm = .automatic

      if shape.name == "b" { try runPooling(on: outputShape, generator: &generator) }
    }
  }

  /// 2x2 max pooling, stride 2, on a tensor of `shape` (the output of convolution (b)).
  private func runPooling(on shape: [Int], generator: inout SeededGenerator) throws {
    log("pool (b): 2x2 max pooling on \(shape)")
    let timer = Benchmark(repetitions: options.repetitions)
    let pool = try MaxPool2D(kernelSize: 2)
    let input = Tensor(randomUniform: shape, in: -1...1, using: &generator)
    let gradOutput = Tensor(randomUniform: try pool.forward(input, mode: .inference).shape, in: -1...1, using: &generator)
    record("pool.b.fwd.ms", try timer.measure { _ = try pool.forward(input, mode: .inference) }.milliseconds)
    record("pool.b.fwdbwd.ms", try timer.measure {
      _ = try pool.forward(input, mode: .training)
      _ = try pool.backward(gradOutput)
    }.milliseconds)
  }
}
