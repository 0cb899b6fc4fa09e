// Pooling, batch norm, losses, optimizers and the LeNet-5 training trace against PyTorch
// (Fixtures/*.json written by make_fixtures.py). Tolerances are "scaled": relative above 1,
// absolute below (see `expectClose`), each with the reason for its size.

import CNNTestSupport
import Testing

@testable import CNN

@Suite("Layers vs PyTorch")
struct LayersFixtureTests {
  @Test("MaxPool2D and AvgPool2D match F.max_pool2d / F.avg_pool2d",
        arguments: ["maxpool_2x2", "maxpool_3x3_s2", "avgpool_2x2", "avgpool_3x3_s2"])
  func pooling(_ name: String) throws {
    let fixture = try Fixture.named(name)
    let (k, s) = (try fixture.int("kernelSize"), try fixture.int("stride"))
    let layer: Layer = name.hasPrefix("max") ? MaxPool2D(kernelSize: k, stride: s) : AvgPool2D(kernelSize: k, stride: s)
    // Max pooling copies values: exact. Average: a K²-term sum in another order, ~1 ulp.
    let tolerance: Float = name.hasPrefix("max") ? 0 : 1e-6
    expectClose(try fixture.tensor("output"), try layer.forward(try fixture.tensor("input"), mode: .training),
                tolerance: tolerance, label: "\(name).output")
    expectClose(try fixture.tensor("gradInput"), layer.backward(try fixture.tensor("gradOutput")),
                tolerance: tolerance, label: "\(name).gradInput")
  }

  @Test("BatchNorm2D matches nn.BatchNorm2d over three training steps and in eval mode")
  func batchNorm() throws {
    let fixture = try Fixture.named("batchnorm2d")
    let scale = try fixture.tensor("scale")
    let norm = BatchNorm2D(channels: scale.count, momentum: try fixture.float("momentum"), epsilon: try fixture.float("epsilon"))
    norm.scale.value = scale
    norm.offset.value = try fixture.tensor("offset")
    // Per-channel sums over ~40 values in Double here vs float32 in PyTorch: a few ulps of x̂.
    let tolerance: Float = 1e-5
    for (index, step) in try fixture.children("steps").enumerated() {
      norm.zeroGrad()
      expectClose(try step.tensor("output"), try norm.forward(try step.tensor("input"), mode: .training),
                  tolerance: tolerance, label: "step \(index) output")
      expectClose(try step.tensor("gradInput"), norm.backward(try step.tensor("gradOutput")),
                  tolerance: tolerance, label: "step \(index) gradInput")
      expectClose(try step.tensor("gradScale"), norm.scale.grad, tolerance: tolerance, label: "step \(index) gradScale")
      expectClose(try step.tensor("gradOffset"), norm.offset.grad, tolerance: tolerance, label: "step \(index) gradOffset")
      expectClose(try step.tensor("runningMean"), norm.runningMean.value, tolerance: tolerance, label: "step \(index) runningMean")
      expectClose(try step.tensor("runningVariance"), norm.runningVariance.value, tolerance: tolerance, label: "step \(index) runningVariance")
    }
    expectClose(try fixture.tensor("evalOutput"), try norm.forward(try fixture.tensor("evalInput"), mode: .inference),
                tolerance: tolerance, label: "eval output")
  }

  @Test("softmaxCrossEntropy matches F.cross_entropy", arguments: ["softmax_cross_entropy", "softmax_cross_entropy_large"])
  func crossEntropy(_ name: String) throws {
    let fixture = try Fixture.named(name)
    let logits = try fixture.tensor("logits")
    let result = try softmaxCrossEntropy(logits: logits, labels: try fixture.ints("labels"))
    // expf/logf vs PyTorch's vectorised versions: a few ulps.
    expectClose([try fixture.float("loss")], [result.loss], tolerance: 1e-6, label: "\(name).loss")
    expectClose(try fixture.tensor("gradLogits"), result.gradLogits, tolerance: 1e-6, label: "\(name).gradLogits")
    if fixture.contains("probabilities") {
      expectClose(try fixture.tensor("probabilities"), softmax(logits), tolerance: 1e-6, label: "\(name).probabilities")
    }
  }

  @Test("meanSquaredError matches F.mse_loss")
  func meanSquared() throws {
    let fixture = try Fixture.named("mean_squared_error")
    let keys = fixture.keys
    let prediction = try fixture.tensor(keys.contains("prediction") ? "prediction" : "input")
    let result = try meanSquaredError(prediction, try fixture.tensor("target"))
    expectClose([try fixture.float("loss")], [result.loss], tolerance: 1e-6, label: "mse.loss")
    expectClose(try fixture.tensor(keys.contains("gradient") ? "gradient" : "gradInput"), result.gradient,
                tolerance: 1e-6, label: "mse.gradient")
  }

  @Test("SGD and Adam match torch.optim on a tiny Dense + MSE problem")
  func optimizers() throws {
    let fixture = try Fixture.named("optimizers_tiny")
    let (input, target) = (try fixture.tensor("input"), try fixture.tensor("target"))
    for run in try fixture.children("runs") {
      var rng = SeededGenerator(seed: 0)
      let dense = Dense(inputSize: 3, outputSize: 2, using: &rng)
      dense.weight.value = try fixture.tensor("weight")
      dense.bias.value = try fixture.tensor("bias")
      let (lr, decay) = (try run.float("learningRate"), try run.float("weightDecay"))
      let optimizer: Optimizer = try run.string("optimizer") == "adam"
        ? Adam(parameters: dense.parameters, learningRate: lr, weightDecay: decay)
        : SGD(parameters: dense.parameters, learningRate: lr, momentum: try run.float("momentum"),
              nesterov: try run.bool("nesterov"), weightDecay: decay)
      let label = try run.string("description")
      var losses: [Float] = []
      for (step, (weight, bias)) in zip(try run.tensors("weights"), try run.tensors("biases")).enumerated() {
        optimizer.zeroGrad()
        let (loss, gradient) = try meanSquaredError(try dense.forward(input, mode: .training), target)
        losses.append(loss)
        _ = dense.backward(gradient)
        optimizer.step()
        // Five steps of float32 arithmetic in a different order: a few ulps, grown by Adam's division.
        expectClose(weight, dense.weight.value, tolerance: 1e-5, label: "\(label) step \(step) weight")
        expectClose(bias, dense.bias.value, tolerance: 1e-5, label: "\(label) step \(step) bias")
      }
      expectClose(try run.floats("losses"), losses, tolerance: 1e-5, label: "\(label) losses")
    }
  }

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
