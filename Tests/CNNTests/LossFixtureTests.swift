// Softmax cross-entropy and mean squared error against PyTorch's F.cross_entropy / F.mse_loss
// (mean reduction): loss, gradient and softmax probabilities (Fixtures/softmax_cross_entropy*.json,
// mean_squared_error.json).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Losses vs PyTorch")
struct LossFixtureTests {
  /// Log-sum-exp over ≤ 10 classes and a mean over ≤ 6 rows in float32; 1e-6 scaled is a few ulps
  /// of the loss (about 2) and of probabilities/gradients (below 1). Measured ≤ 6e-8.
  static let tolerance: Float = 1e-6

  @Test("softmaxCrossEntropy matches F.cross_entropy (mean), also for logits in the hundreds",
        arguments: ["softmax_cross_entropy", "softmax_cross_entropy_large"])
  func crossEntropy(name: String) throws {
    let fixture = try Fixture.named(name)
    let logits = try fixture.tensor("logits")
    let result = try softmaxCrossEntropy(logits: logits, labels: try fixture.ints("labels"))
    expectClose([try fixture.float("loss")], [result.loss], tolerance: Self.tolerance, label: "\(name).loss")
    expectClose(try fixture.tensor("gradLogits"), result.gradLogits, tolerance: Self.tolerance, label: "\(name).gradLogits")
    expectClose(try fixture.tensor("probabilities"), softmax(logits), tolerance: Self.tolerance,
                label: "\(name).probabilities")
  }

  @Test("meanSquaredError matches F.mse_loss (mean over every element)")
  func meanSquared() throws {
    let fixture = try Fixture.named("mean_squared_error")
    let result = try meanSquaredError(try fixture.tensor("prediction"), try fixture.tensor("target"))
    expectClose([try fixture.float("loss")], [result.loss], tolerance: Self.tolerance, label: "mse.loss")
    expectClose(try fixture.tensor("gradient"), result.gradient, tolerance: Self.tolerance, label: "mse.gradient")
  }

  /// A literal case (values from F.cross_entropy): row 1 is logits 1, 2, 3 with label 2; row 2 is
  /// uniform, so its loss is log 3 and its gradient (p − onehot) / N is (−2/3, 1/3, 1/3) / 2.
  @Test("a two-row literal case matches F.cross_entropy")
  func literal() throws {
    let result = try softmaxCrossEntropy(logits: Tensor([[1, 2, 3], [0, 0, 0]]), labels: [2, 0])
    expectClose([0.7531091], [result.loss], tolerance: Self.tolerance, label: "literal.loss")
    expectClose(
      Tensor([[0.04501529, 0.122364245, -0.1673795], [-0.33333334, 0.16666666, 0.16666666]]), result.gradLogits,
      tolerance: Self.tolerance, label: "literal.gradLogits")
  }
}

