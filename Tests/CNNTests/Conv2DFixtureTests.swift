// Conv2D against PyTorch's F.conv2d: output and the gradients of sum(output · gradOutput) for the
// reference kernels, im2col, and the layer with every algorithm (Fixtures/conv2d_*.json).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Conv2D vs PyTorch")
struct Conv2DFixtureTests {
  static let cases = ["conv2d_basic", "conv2d_s2_p1", "conv2d_p2", "conv2d_k5_p2", "conv2d_s2_nobias"]

  /// Scaled tolerance (relative above 1, absolute below; see `expectClose`). Sums of up to 75
  /// float32 products (gradWeight: up to N·H′·W′ = 112 terms of gradients up to ~10) rounded in a
  /// different order than PyTorch's. Measured: ≤ 1.2e-6 for the 3x3 cases, 3.0e-6 for conv2d_k5_p2
  /// (every algorithm), so 1e-5 keeps a margin of 3 where the sums are longest.
  static let tolerance: Float = 1e-5

  struct Case {
    let name: String
    let input: Tensor, weight: Tensor, bias: Tensor?
    let stride: Int, padding: Int
    let output: Tensor, gradOutput: Tensor
    let gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor?

    init(_ name: String) throws {
      let f = try Fixture.named(name)
      self.name = name
      input = try f.tensor("input")
      weight = try f.tensor("weight")
      bias = f.contains("bias") ? try f.tensor("bias") : nil
      stride = try f.int("stride")
      padding = try f.int("padding")
      output = try f.tensor("output")
      gradOutput = try f.tensor("gradOutput")
      gradInput = try f.tensor("gradInput")
      gradWeight = try f.tensor("gradWeight")
      gradBias = f.contains("gradBias") ? try f.tensor("gradBias") : nil
    }

    func check(output: Tensor, gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor?, label: String) {
      let tolerance = Conv2DFixtureTests.tolerance
      expectClose(self.output, output, tolerance: tolerance, label: "\(name).\(label).output")
      expectClose(self.gradInput, gradInput, tolerance: tolerance, label: "\(name).\(label).gradInput")
      expectClose(self.gradWeight, gradWeight, tolerance: tolerance, label: "\(name).\(label).gradWeight")
      if let expected = self.gradBias, let gradBias {
        expectClose(expected, gradBias, tolerance: tolerance, label: "\(name).\(label).gradBias")
      }
    }
  }

  @Test("directForward / directBackward match F.conv2d", arguments: cases)
  func direct(name: String) throws {
    let c = try Case(name)
    let output = try Conv2D.directForward(
      input: c.input, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding)
    let grads = try Conv2D.directBackward(
      gradOutput: c.gradOutput, input: c.input, weight: c.weight, stride: c.stride, padding: c.padding)
    c.check(output: output, gradInput: grads.gradInput, gradWeight: grads.gradWeight, gradBias: grads.gradBias,
            label: "direct")
  }

  @Test("im2colForward / im2colBackward match F.conv2d", arguments: cases)
  func im2col(name: String) throws {
    let c = try Case(name)
    let output = try Conv2D.im2colForward(
      input: c.input, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding)
    let grads = try Conv2D.im2colBackward(
      gradOutput: c.gradOutput, input: c.input, weight: c.weight, stride: c.stride, padding: c.padding)
    c.check(output: output, gradInput: grads.gradInput, gradWeight: grads.gradWeight, gradBias: grads.gradBias,
            label: "im2col")
  }

  @Test("the Conv2D layer matches F.conv2d with every algorithm",
        arguments: cases, ConvolutionAlgorithm.allCases)
  func layer(name: String, algorithm: ConvolutionAlgorithm) throws {
    let c = try Case(name)
    var rng = SeededGenerator(seed: 7)
    let layer = try Conv2D(
      inChannels: c.weight.shape[1], outChannels: c.weight.shape[0], kernelSize: c.weight.shape[2],
      stride: c.stride, padding: c.padding, usesBias: c.bias != nil, algorithm: algorithm, using: &rng)
    layer.weight.value = c.weight
    if let bias = c.bias { layer.bias.value = bias }
    let output = try layer.forward(c.input, mode: .training)
    let gradInput = try layer.backward(c.gradOutput)
    c.check(output: output, gradInput: gradInput, gradWeight: layer.weight.grad,
            gradBias: c.bias == nil ? nil : layer.bias.grad, label: "layer(\(algorithm))")
  }

  /// A case small enough to check by hand, as a literal (values from F.conv2d): the kernel
  /// [[1, 0], [0, −1]] subtracts each pixel's lower-right neighbour, so on 1…9 every output is
  /// x − (x + 4) + 0.5 = −3.5; with gradOutput = 1 each gradWeight tap sums the pixels it saw.
  @Test("a hand-checkable 2x2 kernel on 1…9 matches F.conv2d exactly")
  func literal() throws {
    let input = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
    let weight = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
    let output = try Conv2D.directForward(
      input: input, weight: weight, bias: Tensor(shape: [1], scalars: [0.5]), stride: 1, padding: 0)
    #expect(output == Tensor(shape: [1, 1, 2, 2], scalars: [-3.5, -3.5, -3.5, -3.5]))
    let grads = try Conv2D.directBackward(
      gradOutput: Tensor(repeating: 1, shape: [1, 1, 2, 2]), input: input, weight: weight, stride: 1, padding: 0)
    #expect(grads.gradInput.scalars == [1, 1, 0, 1, 0, -1, 0, -1, -1])
    #expect(grads.gradWeight.scalars == [12, 16, 24, 28])
    #expect(grads.gradBias.scalars == [4])
  }
}
