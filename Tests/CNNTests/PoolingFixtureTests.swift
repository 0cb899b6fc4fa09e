// MaxPool2D and AvgPool2D against PyTorch's F.max_pool2d / F.avg_pool2d: output and gradInput
// (Fixtures/maxpool_*.json, avgpool_*.json). The max-pool inputs have no ties (the generator checks),
// so the gradient's destination does not depend on a tie rule.

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Pooling vs PyTorch")
struct PoolingFixtureTests {
  /// Max pooling copies values, so forward and backward should be exact except where overlapping
  /// windows (3x3 stride 2) add two gradients: one float rounding. Averages divide by K² in a
  /// possibly different order than PyTorch. 1e-6 scaled is still tight enough to catch any routing
  /// or scaling mistake (those are O(1)). Measured: 0 for max pooling, 3.0e-8 for average pooling.
  static let tolerance: Float = 1e-6

  @Test("pooling layers match PyTorch",
        arguments: ["maxpool_2x2", "maxpool_3x3_s2", "avgpool_2x2", "avgpool_3x3_s2"])
  func pooling(name: String) throws {
    let fixture = try Fixture.named(name)
    let kernelSize = try fixture.int("kernelSize"), stride = try fixture.int("stride")
    let layer: Layer = name.hasPrefix("max")
      ? try MaxPool2D(kernelSize: kernelSize, stride: stride)
      : try AvgPool2D(kernelSize: kernelSize, stride: stride)
    let output = try layer.forward(try fixture.tensor("input"), mode: .training)
    expectClose(try fixture.tensor("output"), output, tolerance: Self.tolerance, label: "\(name).output")
    let gradInput = try layer.backward(try fixture.tensor("gradOutput"))
    expectClose(try fixture.tensor("gradInput"), gradInput, tolerance: Self.tolerance, label: "\(name).gradInput")
  }
}
