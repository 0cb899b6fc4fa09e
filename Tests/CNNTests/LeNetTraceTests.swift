// The LeNet-5 training trace against PyTorch (Fixtures/lenet_trace.json from make_fixtures.py):
// 10 SGD-momentum and 10 Adam steps on the first 32 MNIST images, llm.c test_gpt2 style.
// Tolerances are "scaled": relative above 1, absolute below (see `expectClose`).

import CNNTestSupport
import Testing

@testable import CNN

@Suite("LeNet-5 training trace vs PyTorch")
struct LeNetTraceTests {
  @Test("LeNet-5: 10 SGD-momentum and 10 Adam steps match PyTorch's losses and weights")
  func leNetTrace() throws {
    let fixture = try Fixture.named("lenet_trace")
    let batch = try fixture.child("batchIndices")
    let data = try Dataset.load(.bundledMNIST, split: .train, limit: try batch.int("start") + batch.int("count"))
    let images = data.images.slice(try batch.int("start")..<data.count)
    let labels = Array(data.labels[try batch.int("start")...])
    #expect(labels == (try fixture.ints("labels")))
    #expect(abs(images.sum() - (try fixture.float("pixelSum"))) < 1e-2)
    let initial = try fixture.child("initialWeights")
    for run in ["sgd", "adam"] {
      var rng = SeededGenerator(seed: 0)
      let model = Models.leNet5(using: &rng)
      for parameter in model.parameters { parameter.value = try initial.tensor(parameter.name) }
      let trace = try fixture.child(run)
      let lr = try trace.float("learningRate")
      let optimizer: Optimizer = run == "adam"
        ? Adam(parameters: model.parameters, learningRate: lr)
        : SGD(parameters: model.parameters, learningRate: lr, momentum: try trace.float("momentum"))
      if run == "sgd" {
        expectClose(try fixture.tensor("initialLogits"), try model.forward(images, mode: .inference),
                    tolerance: 1e-5, label: "initial logits")
      }
      let trainer = Trainer(model: model, optimizer: optimizer, batchSize: labels.count, seed: 0)
      let losses = try (0..<10).map { _ in try trainer.step(images: images, labels: labels).loss }
      // 10 steps of a 61k-parameter net; sums of up to 400 products in another order each step.
      expectClose(try trace.floats("losses"), losses, tolerance: 1e-5, label: "\(run) losses")
      // Final weights: SGD measured ≤ 2.3e-6. Adam's conv weights measured up to 3.9e-4, and that
      // is not rounding in the optimizer: MNIST's saturated strokes make exact ties in the first
      // max pool (8 windows of this batch tie exactly in float64), so a gradient can go to a
      // different, equally valid winner than PyTorch's (their conv rounds the tied sums in another
      // order). SGD moves a weight by lr·g ≈ 1e-6 and hides that; Adam normalises every step to
      // about lr = 1e-3 whatever |g| is, so a rerouted gradient moves a weight by up to 10·lr
      // over 10 steps. The losses, which tie-breaking cannot change, match to 2e-7.
      let weightTolerance: Float = run == "adam" ? 1e-3 : 1e-4
      let final = try trace.child("finalWeights")
      for parameter in model.parameters {
        let expected = try final.child(parameter.name)
        if expected.contains("stride") {
          let sampled = try final.sampledTensor(parameter.name)
          expectClose(Tensor(shape: [sampled.values.count], scalars: sampled.values), sampled.sample(of: parameter.value),
                      tolerance: weightTolerance, label: "\(run) final \(parameter.name) (sampled)")
        } else {
          expectClose(try final.tensor(parameter.name), parameter.value, tolerance: weightTolerance, label: "\(run) final \(parameter.name)")
        }
      }
    }
  }
}
