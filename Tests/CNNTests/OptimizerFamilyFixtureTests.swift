// RMSProp (plain, momentum, centred, everything at once), AdamW, and SGD/Adam again, against
// torch.optim (Fixtures/optimizers_family.json); the four schedules against
// torch.optim.lr_scheduler (Fixtures/lr_schedules.json).

import CNNTestSupport
import Testing

@testable import CNN

/// The library optimizer for a fixture run, from the PyTorch param_group it records.
private func optimizer(for run: Fixture, parameters: [Parameter]) throws -> any Optimizer {
  let name = try run.string("name"), settings = try run.child("settings")
  let lr = try settings.float("lr"), decay = try settings.float("weight_decay")
  if name.hasPrefix("rmsprop") {
    return try RMSProp(
      parameters: parameters, learningRate: lr, alpha: try settings.float("alpha"), epsilon: try settings.float("eps"),
      weightDecay: decay, momentum: try settings.float("momentum"), centered: try settings.bool("centered"))
  }
  if name.hasPrefix("adamw") {
    return try AdamW(parameters: parameters, learningRate: lr, beta1: try settings.float("beta1"),
                 beta2: try settings.float("beta2"), epsilon: try settings.float("eps"), weightDecay: decay)
  }
  if name == "adam" {
    return try Adam(parameters: parameters, learningRate: lr, beta1: try settings.float("beta1"),
                beta2: try settings.float("beta2"), epsilon: try settings.float("eps"), weightDecay: decay)
  }
  return try SGD(parameters: parameters, learningRate: lr, momentum: try settings.float("momentum"),
             nesterov: try settings.bool("nesterov"), weightDecay: decay)
}

@Suite("Optimizer family and schedules vs PyTorch")
struct OptimizerFamilyFixtureTests {
  /// Same problem and tolerance as `OptimizerFixtureTests`: measured at most 3e-7 (RMSProp with
  /// momentum); RMSProp's first step is ±10·lr per weight, so a wrong α, ε placement or centring
  /// is off by 1e-3 or more.
  static let tolerance: Float = 1e-5

  @Test("five steps match torch.optim", arguments: 0..<10)
  func run(index: Int) throws {
    let fixture = try Fixture.named("optimizers_family")
    let runs = try fixture.children("runs")
    #expect(runs.count == 10)
    let run = runs[index]
    let label = "optimizers_family \(try run.string("description"))"
    let input = try fixture.tensor("input"), target = try fixture.tensor("target")
    let weight = try fixture.tensor("weight")
    var rng = SeededGenerator(seed: 3)
    let layer = try Dense(inputSize: weight.shape[1], outputSize: weight.shape[0], using: &rng)
    layer.weight.value = weight
    layer.bias.value = try fixture.tensor("bias")
    let optimizer = try optimizer(for: run, parameters: layer.parameters)
    let expectedWeights = try run.tensors("weights"), expectedBiases = try run.tensors("biases")
    var losses: [Float] = []
    for step in expectedWeights.indices {
      optimizer.zeroGrad()
      let loss = try meanSquaredError(try layer.forward(input, mode: .training), target)
      losses.append(loss.loss)
      _ = try layer.backward(loss.gradient)
      optimizer.step()
      expectClose(expectedWeights[step], layer.weight.value, tolerance: Self.tolerance, label: "\(label) step \(step) weight")
      expectClose(expectedBiases[step], layer.bias.value, tolerance: Self.tolerance, label: "\(label) step \(step) bias")
    }
    expectClose(try run.floats("losses"), losses, tolerance: Self.tolerance, label: "\(label).losses")
  }

  @Test("bad RMSProp and AdamW settings are one-line errors")
  func badSettings() {
    #expect(throws: CNNError.self) { try RMSProp(parameters: [], learningRate: -1) }
    #expect(throws: CNNError.self) { try RMSProp(parameters: [], alpha: 1) }
    #expect(throws: CNNError.self) { try RMSProp(parameters: [], epsilon: 0) }
    #expect(throws: CNNError.self) { try AdamW(parameters: [], beta1: 1) }
    #expect(throws: CNNError.self) { try AdamW(parameters: [], weightDecay: -0.1) }
  }

  @Test("AdamW and Adam's L2 decay differ; with λ = 0 they are the same optimizer")
  func adamWAgainstAdam() throws {
    func trace(_ make: ([Parameter]) throws -> any Optimizer) throws -> [Float] {
      let theta = Parameter(name: "theta", value: Tensor(shape: [2], scalars: [1, -2]))
      let optimizer = try make([theta])
      for g in [[0.5, 0.25], [0.5, -1], [-0.1, 3]] as [[Float]] {
        optimizer.zeroGrad()
        theta.grad.add(Tensor(shape: [2], scalars: g))
        optimizer.step()
      }
      return theta.value.scalars
    }
    let plainW = try trace { try AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0) }
    let plain = try trace { try Adam(parameters: $0, learningRate: 0.1) }
    #expect(plainW == plain)
    let decoupled = try trace { try AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.5) }
    let coupled = try trace { try Adam(parameters: $0, learningRate: 0.1, weightDecay: 0.5) }
    #expect(zip(decoupled, coupled).map { abs($0 - $1) }.max()! > 1e-3)
  }

  /// Rates are Float32 printed by PyTorch from doubles; measured max relative error 1.2e-7.
  @Test("schedules match torch.optim.lr_scheduler rate for rate")
  func schedules() throws {
    let fixture = try Fixture.named("lr_schedules")
    let base = try fixture.float("baseRate"), total = try fixture.int("totalSteps")
    let step = try fixture.child("step"), cosine = try fixture.child("warmupCosine"), cycle = try fixture.child("oneCycle")
    let cases: [(String, any LearningRateSchedule, [Float])] = [
      ("StepLR", try StepDecay(initialRate: base, factor: try step.float("factor"), stepSize: try step.int("stepSize")),
       try step.floats("rates")),
      ("warm-up + cosine", try WarmupCosine(
        peakRate: base, warmupSteps: try cosine.int("warmupSteps"), totalSteps: total,
        startFactor: try cosine.float("startFactor"), finalRate: try cosine.float("finalRate")), try cosine.floats("rates")),
      ("OneCycleLR", try OneCycle(
        maxRate: base, totalSteps: total, warmupFraction: try cycle.float("warmupFraction"),
        divFactor: try cycle.float("divFactor"), finalDivFactor: try cycle.float("finalDivFactor")), try cycle.floats("rates")),
    ]
    for (name, schedule, expected) in cases {
      #expect(expected.count == total)
      for (t, (rate, reference)) in zip(schedule.rates(steps: total), expected).enumerated() {
        #expect(abs(rate - reference) <= 1e-6 * abs(reference), "\(name) step \(t): \(rate) vs PyTorch \(reference)")
      }
    }
  }
}
