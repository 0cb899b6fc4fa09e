// SGD (momentum, Nesterov, weight decay) and Adam (with and without weight decay) against
// torch.optim on a tiny problem: Dense(3→2) fit to random targets with mean squared error,
// five steps per run (Fixtures/optimizers_tiny.json).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Optimizers vs PyTorch")
struct OptimizerFixtureTests {
  /// Five steps on a 3→2 dense layer: every quantity is a handful of float32 operations; Adam's
  /// first step divides m̂ by √v̂ ≈ |g|, so its update is ±lr nearly independent of rounding.
  /// 1e-5 scaled (values of order 1): measured 6e-8 (a straightforward reference implementation
  /// measured 5e-7); a wrong momentum, Nesterov or weight-decay rule is off by 1e-3 or more at lr 0.1.
  static let tolerance: Float = 1e-5

  @Test("five optimizer steps match torch.optim", arguments: 0..<4)
  func run(index: Int) throws {
    let fixture = try Fixture.named("optimizers_tiny")
    let run = try fixture.children("runs")[index]
    let kind = try run.string("optimizer")
    let label = "optimizers_tiny.runs[\(index)] \(try run.string("description"))"
    let input = try fixture.tensor("input"), target = try fixture.tensor("target")
    let layer = try Dense(weight: fixture.tensor("weight"), bias: fixture.tensor("bias"))
    let learningRate = try run.float("learningRate"), weightDecay = try run.float("weightDecay")
    let optimizer: any Optimizer =
      kind == "adam"
      ? try Adam(parameters: layer.parameters, learningRate: learningRate, weightDecay: weightDecay)
      : try SGD(
        parameters: layer.parameters, learningRate: learningRate, momentum: try run.float("momentum"),
        nesterov: try run.bool("nesterov"), weightDecay: weightDecay)
    let expectedWeights = try run.tensors("weights"), expectedBiases = try run.tensors("biases")
    var losses: [Float] = []
    for step in expectedWeights.indices {
      optimizer.zeroGrad()
      let prediction = try layer.forward(input, mode: .training)
      let loss = try meanSquaredError(prediction, target)
      losses.append(loss.loss)
      _ = try layer.backward(loss.gradient)
      optimizer.step()
      expectClose(
        expectedWeights[step], layer.weight.value, tolerance: Self.tolerance, label: "\(label) step \(step) weight")
      expectClose(
        expectedBiases[step], layer.bias.value, tolerance: Self.tolerance, label: "\(label) step \(step) bias")
    }
    expectClose(try run.floats("losses"), losses, tolerance: Self.tolerance, label: "\(label).losses")
  }
}
