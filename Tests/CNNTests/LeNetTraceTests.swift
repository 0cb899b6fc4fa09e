// End-to-end check in the manner of llm.c's test_gpt2: LeNet-5 from PyTorch's initial weights on
// the first 32 MNIST training images takes 10 SGD-momentum steps and, separately, 10 Adam steps;
// the 10 losses and the final weights must match PyTorch's (Fixtures/lenet_trace.json). This
// catches wiring and optimizer bugs that single-layer fixtures cannot see.

import CNNTestSupport
import Testing

@testable import CNN

@Suite("LeNet-5 training trace vs PyTorch")
struct LeNetTraceTests {
  /// Initial forward pass: logits O(0.1) from float32 sums of up to 400 terms. Measured 1.5e-8.
  static let logitTolerance: Float = 1e-5

  /// Tolerances, all measured (`CNN_FIXTURE_REPORT=1` prints every comparison) and checked against planted
  /// optimizer bugs with PyTorch itself. SGD with lr 0.01 moves the weights little and smoothly,
  /// so they match element by element. Adam normalises every gradient to a step of about lr, so
  /// weights whose gradient hovers near zero flip direction on rounding noise: perturbing PyTorch's
  /// own initial weights by 1e-7 moves its final Adam weights by up to 1.2e-3 (0.8% of 7.weight's
  /// elements by more than 1e-5). Adam's weights are therefore compared as whole updates.
  struct Tolerances {
    /// The 10 losses (≈ 2.3, so the scaled bound is ≈ 2e-5 absolute). Measured ≤ 4.8e-7. Noise
    /// bound: perturbing PyTorch's initial weights by 1e-6 moves its Adam losses by 4e-6; Adam
    /// with beta2 0.99 instead of 0.999 is off by 3e-4.
    var losses: Float = 1e-5
    /// Each final weight (scaled: absolute below 1). SGD: measured ≤ 2.3e-6. Adam: measured
    /// ≤ 3.9e-4, a fraction of one lr step (see above); this catches gross errors only, the
    /// update check below does the rest.
    var weights: Float
    /// ‖Δ_swift − Δ_torch‖ / ‖Δ_torch‖ per tensor, Δ = final − initial, over the stored elements;
    /// also bounds |‖Δ_swift‖ / ‖Δ_torch‖ − 1| over the whole tensor (the fixture's deltaNorms),
    /// which covers the elements a sample leaves out.
    /// SGD: measured 1.0e-3 on 0.bias (its gradient sums 25 088 terms that largely cancel),
    /// ≤ 2.1e-4 elsewhere. Adam: measured ≤ 2.1e-3 (a straightforward reference implementation:
    /// 5.3e-3; PyTorch against itself perturbed by ≤ 1e-6: ≤ 5.3e-3), whereas planted bugs give
    /// 2.4e-2 on 0.weight (beta2 0.99), ≥ 2e-2 (eps 1e-6), ≥ 9e-2 on every weight (lr 1.1e-3).
    var updates: Float = 1.5e-2
  }

  static func tolerances(_ optimizer: String) -> Tolerances {
    optimizer == "sgd" ? Tolerances(weights: 1e-5, updates: 5e-3) : Tolerances(weights: 3e-3)
  }

  /// LeNet-5 from the library with every parameter overwritten by the fixture's initial weights,
  /// matched by name ("0.weight", … as in PyTorch's nn.Sequential).
  static func model(_ fixture: Fixture) throws -> any Layer {
    var rng = SeededGenerator(seed: 5)
    let model = try Models.leNet5(using: &rng)
    let initial = try fixture.child("initialWeights")
    let parameters = model.parameters
    #expect(parameters.map(\.name).sorted() == initial.keys.sorted(), "LeNet parameter names differ from PyTorch's")
    for parameter in parameters {
      let value = try initial.tensor(parameter.name)
      try #require(value.shape == parameter.value.shape, "\(parameter.name): shape \(parameter.value.shape), fixture \(value.shape)")
      parameter.value = value
    }
    return model
  }

  static func images(_ fixture: Fixture) throws -> (images: Tensor, labels: [Int]) {
    let batch = try fixture.child("batchIndices")
    let start = try batch.int("start"), count = try batch.int("count")
    let mnist = try Dataset.load(.bundledMNIST, split: .train, limit: start + count)
    let images = mnist.images.slice(start..<start + count)
    let labels = Array(mnist.labels[start..<start + count])
    #expect(labels == (try fixture.ints("labels")), "the fixture's MNIST labels differ from the bundled ones")
    // Same images, same pixels/255: one pixel off by one grey level changes the sum by 1/255 > 1e-3.
    let pixelSum = images.scalars.reduce(0.0) { $0 + Double($1) }
    #expect(abs(pixelSum - (try fixture.double("pixelSum"))) < 1e-3, "pixel sum \(pixelSum)")
    return (images, labels)
  }

  @Test("the initial forward pass matches PyTorch's logits")
  func initialLogits() throws {
    let fixture = try Fixture.named("lenet_trace")
    let model = try Self.model(fixture)
    let (images, _) = try Self.images(fixture)
    let logits = try model.forward(images, mode: .inference)
    expectClose(try fixture.tensor("initialLogits"), logits, tolerance: Self.logitTolerance, label: "lenet.initialLogits")
  }

  @Test("10 steps match PyTorch's losses and final weights", arguments: ["sgd", "adam"])
  func trace(optimizerName: String) throws {
    let fixture = try Fixture.named("lenet_trace")
    let run = try fixture.child(optimizerName)
    let model = try Self.model(fixture)
    let (images, labels) = try Self.images(fixture)
    let initial = model.parameters.map(\.value)
    let learningRate = try run.float("learningRate")
    let optimizer: any Optimizer =
      optimizerName == "sgd"
      ? try SGD(parameters: model.parameters, learningRate: learningRate, momentum: try run.float("momentum"))
      : try Adam(parameters: model.parameters, learningRate: learningRate)
    let tolerance = Self.tolerances(optimizerName)
    let expectedLosses = try run.floats("losses")
    var losses: [Float] = []
    for _ in expectedLosses.indices {
      optimizer.zeroGrad()
      let logits = try model.forward(images, mode: .training)
      let loss = try softmaxCrossEntropy(logits: logits, labels: labels)
      losses.append(loss.loss)
      _ = try model.backward(loss.gradLogits)
      optimizer.step()
    }
    expectClose(expectedLosses, losses, tolerance: tolerance.losses, label: "lenet.\(optimizerName).losses")

    let finalWeights = try run.child("finalWeights"), deltaNorms = try run.child("deltaNorms")
    for (parameter, start) in zip(model.parameters, initial) {
      var label = "lenet.\(optimizerName).\(parameter.name)"
      // The stored elements (every one, or every `stride`-th for the two big dense weights).
      let expected: Tensor, actual: Tensor, initialStored: Tensor
      if try finalWeights.child(parameter.name).contains("stride") {
        let sample = try finalWeights.sampledTensor(parameter.name)
        (expected, actual, initialStored) = (sample.tensor, sample.sample(of: parameter.value), sample.sample(of: start))
        label += " (every \(sample.stride)th element)"
      } else {
        (expected, actual, initialStored) = (try finalWeights.tensor(parameter.name), parameter.value, start)
      }
      expectClose(expected, actual, tolerance: tolerance.weights, label: label)
      let expectedUpdate = expected - initialStored, error = actual - expected
      let relativeError = error.norm() / Swift.max(expectedUpdate.norm(), .leastNormalMagnitude)
      expectClose([0], [relativeError], tolerance: tolerance.updates, label: "\(label) relative update error")
      let deltaNorm = (parameter.value - start).norm() / Float(try deltaNorms.double(parameter.name))
      expectClose(
        [1], [deltaNorm], tolerance: tolerance.updates, label: "lenet.\(optimizerName).\(parameter.name) ‖Δ‖ / PyTorch ‖Δ‖")
    }
  }
}
