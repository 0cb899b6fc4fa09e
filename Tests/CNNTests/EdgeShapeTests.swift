// Shapes at the edge: images smaller than the padded kernel (1x1 with K 5, P 2) and empty batches
// (N = 0). Every algorithm must agree with the direct loops on them, and nothing may trap.

import Testing
@testable import CNN
import CNNTestSupport

/// (H, W, K, S, P) cases where the image is no larger than the kernel's reach.
private let tinyShapes: [(h: Int, w: Int, k: Int, s: Int, p: Int)] = [
  (1, 1, 5, 1, 2), (1, 1, 3, 1, 1), (2, 2, 5, 1, 2), (1, 3, 3, 1, 1), (2, 1, 5, 2, 2), (1, 1, 3, 2, 1), (3, 3, 5, 1, 1),
]

@Test("tiny images: im2col, Winograd and FFT equal the direct loops forward and backward", arguments: tinyShapes)
func tinyImagesAgree(shape: (h: Int, w: Int, k: Int, s: Int, p: Int)) throws {
  var rng = SeededGenerator(seed: 21)
  let input = Tensor(randomNormal: [2, 3, shape.h, shape.w], using: &rng)
  let weight = Tensor(randomNormal: [4, 3, shape.k, shape.k], using: &rng)
  let bias = Tensor(randomNormal: [4], using: &rng)
  let direct = try Conv2D.directForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p)
  let gradOutput = Tensor(randomNormal: direct.shape, using: &rng)
  let reference = try Conv2D.directBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)
  var algorithms: [(String, Tensor, (gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor))] = [
    ("im2col", try Conv2D.im2colForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p),
     try Conv2D.im2colBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)),
    ("fft", try Conv2D.fftForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p),
     try Conv2D.fftBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)),
  ]
  if Conv2D.winogradApplies(kernelSize: shape.k, stride: shape.s) {
    algorithms.append(
      ("winograd", try Conv2D.winogradForward(input: input, weight: weight, bias: bias, stride: shape.s, padding: shape.p),
       try Conv2D.winogradBackward(gradOutput: gradOutput, input: input, weight: weight, stride: shape.s, padding: shape.p)))
  }
  for (name, output, gradients) in algorithms {
    _ = expectClose(direct, output, tolerance: 1e-4, label: "\(name) forward \(shape)")
    _ = expectClose(reference.gradInput, gradients.gradInput, tolerance: 1e-4, label: "\(name) gradInput \(shape)")
    _ = expectClose(reference.gradWeight, gradients.gradWeight, tolerance: 1e-4, label: "\(name) gradWeight \(shape)")
    _ = expectClose(reference.gradBias, gradients.gradBias, tolerance: 1e-4, label: "\(name) gradBias \(shape)")
  }
}

@Test("LeNet-5 on a 1x1 image refuses with one line instead of trapping")
func leNetOnOnePixel() throws {
  var rng = SeededGenerator(seed: 5)
  let model = try Models.leNet5(using: &rng)
  expectCNNError(["MaxPool2D", "does not fit", "[1, 6, 1, 1]"]) {
    _ = try model.forward(Tensor(zeros: [1, 1, 1, 1]), mode: .inference)
  }
  // Its first layer alone takes the 1x1 image with every algorithm, like the direct loops.
  for algorithm in ConvolutionAlgorithm.allCases {
    let first = try Conv2D(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2, algorithm: algorithm, using: &rng)
    let output = try first.forward(Tensor(repeating: 1, shape: [1, 1, 1, 1]), mode: .training)
    #expect(output.shape == [1, 6, 1, 1])
    // Only the centre tap sees the pixel: output = weight[o, 0, 2, 2] (bias 0).
    _ = expectClose((0..<6).map { first.weight.value[$0, 0, 2, 2] }, output.scalars, tolerance: 1e-5, label: "\(algorithm)")
    #expect(try first.backward(Tensor(repeating: 1, shape: [1, 6, 1, 1])).shape == [1, 1, 1, 1])
  }
}

@Test("an empty batch (N = 0) goes forward and backward through every layer and algorithm")
func emptyBatch() throws {
  var rng = SeededGenerator(seed: 6)
  for algorithm in ConvolutionAlgorithm.allCases {
    for kernel in [1, 3, 5, 11] {
      let layer = try Conv2D(inChannels: 2, outChannels: 3, kernelSize: kernel, padding: kernel / 2, algorithm: algorithm, using: &rng)
      let output = try layer.forward(Tensor(zeros: [0, 2, 12, 12]), mode: .training)
      #expect(output.shape == [0, 3, 12, 12])
      let gradInput = try layer.backward(Tensor(zeros: [0, 3, 12, 12]))
      #expect(gradInput.shape == [0, 2, 12, 12], "\(algorithm) k=\(kernel)")
      #expect(layer.weight.grad.scalars.allSatisfy { $0 == 0 } && layer.bias.grad.scalars.allSatisfy { $0 == 0 })
      _ = try layer.backward(Tensor(zeros: [0, 3, 12, 12]), needsInputGradient: false)
    }
  }
  let model = try Models.leNet5(using: &rng)
  let logits = try model.forward(Tensor(zeros: [0, 1, 28, 28]), mode: .training)
  #expect(logits.shape == [0, 10])
  #expect(try model.backward(Tensor(zeros: [0, 10])).shape == [0, 1, 28, 28])
  // Batch norm cannot take statistics of nothing; it says so.
  expectCNNError(["BatchNorm2D"]) { _ = try BatchNorm2D(channels: 2).forward(Tensor(zeros: [0, 2, 3, 3]), mode: .training) }
}
