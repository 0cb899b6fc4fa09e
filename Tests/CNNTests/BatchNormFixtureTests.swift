// BatchNorm2D against PyTorch's nn.BatchNorm2d(momentum 0.1, eps 1e-5): three training steps
// (output, gradients, running statistics after each) and an inference-mode output (Fixtures/batchnorm2d.json).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("BatchNorm2D vs PyTorch")
struct BatchNormFixtureTests {
  /// Outputs are normalised values of order 1 computed from means and variances of 80 elements per
  /// channel, whose float32 rounding differs from PyTorch's (which accumulates in a different
  /// order); gradInput subtracts two means of similar size. Measured 3.9e-7 (steps[0].gradInput),
  /// so 1e-5 leaves a wide margin while a wrong variance (biased vs unbiased running variance:
  /// a factor 80/79) or a missing mean term would be off by 1e-2 or more.
  static let tolerance: Float = 1e-5

  @Test("training steps, running statistics and inference output match nn.BatchNorm2d")
  func batchNorm() throws {
    let fixture = try Fixture.named("batchnorm2d")
    let scale = try fixture.tensor("scale")
    let layer = try BatchNorm2D(
      channels: scale.count, momentum: try fixture.float("momentum"), epsilon: try fixture.float("epsilon"))
    layer.scale.value = scale
    layer.offset.value = try fixture.tensor("offset")
    for (index, step) in try fixture.children("steps").enumerated() {
      let label = "batchnorm2d.steps[\(index)]"
      layer.zeroGrad()
      let output = try layer.forward(try step.tensor("input"), mode: .training)
      expectClose(try step.tensor("output"), output, tolerance: Self.tolerance, label: "\(label).output")
      let gradInput = try layer.backward(try step.tensor("gradOutput"))
      expectClose(try step.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "\(label).gradInput")
      expectClose(
        try step.tensor("gradScale"), layer.scale.grad, tolerance: Self.tolerance, label: "\(label).gradScale")
      expectClose(
        try step.tensor("gradOffset"), layer.offset.grad, tolerance: Self.tolerance, label: "\(label).gradOffset")
      expectClose(
        try step.tensor("runningMean"), layer.runningMean.value, tolerance: Self.tolerance,
        label: "\(label).runningMean")
      expectClose(
        try step.tensor("runningVariance"), layer.runningVariance.value, tolerance: Self.tolerance,
        label: "\(label).runningVariance")
    }
    let evalOutput = try layer.forward(try fixture.tensor("evalInput"), mode: .inference)
    expectClose(try fixture.tensor("evalOutput"), evalOutput, tolerance: Self.tolerance, label: "batchnorm2d.evalOutput")
  }
}
