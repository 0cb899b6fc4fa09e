// Schedules by hand (the formulas in their doc comments), their argument checks, the trainer
// asking its schedule every step, and the learning-rate finder on a small problem.

import Foundation
import Testing

@testable import CNN

@Suite("Learning-rate schedules and finder")
struct LearningRateScheduleTests {
  @Test("schedules follow their formulas at the corners")
  func formulas() throws {
    #expect(ConstantRate(0.3).rates(steps: 3) == [0.3, 0.3, 0.3])
    let step = try StepDecay(initialRate: 1, factor: 0.5, stepSize: 2)
    #expect(step.rates(steps: 5) == [1, 1, 0.5, 0.5, 0.25])
    let cosine = try WarmupCosine(peakRate: 1, warmupSteps: 4, totalSteps: 12, startFactor: 0.25, finalRate: 0.1)
    #expect(cosine.rate(atStep: 0) == 0.25)
    #expect(abs(cosine.rate(atStep: 2) - 0.625) < 1e-6)  // 0.25 + 0.75·2/4
    #expect(cosine.rate(atStep: 4) == 1)
    #expect(abs(cosine.rate(atStep: 8) - 0.55) < 1e-6)  // halfway down: (1 + 0.1)/2
    #expect(cosine.rate(atStep: 12) == 0.1 && cosine.rate(atStep: 50) == 0.1)
    let cycle = try OneCycle(maxRate: 1, totalSteps: 11, warmupFraction: 0.5, divFactor: 10, finalDivFactor: 100)
    // Peak at P = 0.5·11 − 1 = 4.5: the rate climbs to just below 1, then falls to 1/10/100 at step 10.
    #expect(abs(cycle.rate(atStep: 0) - 0.1) < 1e-6)
    #expect(cycle.rate(atStep: 4) > 0.95 && cycle.rate(atStep: 5) > 0.95)  // 0.973 and 0.993
    #expect(abs(cycle.rate(atStep: 10) - 0.001) < 1e-7)
    let rates = cycle.rates(steps: 11)
    let rising = zip(rates, rates.dropFirst()).prefix(4).allSatisfy { $0 < $1 }
    let falling = zip(rates, rates.dropFirst()).dropFirst(5).allSatisfy { $0 > $1 }
    #expect(rising && falling, "\(rates)")
  }

  @Test("bad schedule arguments are one-line errors")
  func badArguments() {
    #expect(throws: CNNError.self) { try StepDecay(initialRate: 1, factor: 0.5, stepSize: 0) }
    #expect(throws: CNNError.self) { try StepDecay(initialRate: 1, factor: 0, stepSize: 3) }
    #expect(throws: CNNError.self) { try WarmupCosine(peakRate: 1, warmupSteps: 10, totalSteps: 10) }
    #expect(throws: CNNError.self) { try WarmupCosine(peakRate: 1, warmupSteps: 1, totalSteps: 10, startFactor: 0) }
    #expect(throws: CNNError.self) { try OneCycle(maxRate: 1, totalSteps: 3) }
    #expect(throws: CNNError.self) { try LearningRateFinder(startRate: 1, endRate: 0.1) }
    #expect(throws: CNNError.self) { try LearningRateFinder(steps: 5) }
  }

  /// Three overlapping clusters of 2-D points for a small classifier. They must overlap: on
  /// separable data the loss keeps falling to 0 even at absurd rates once the network has
  /// learned (the gradient vanishes), and a range test then finds no minimum before the end.
  static func blobs(count: Int) -> (Tensor, [Int]) {
    var generator = SeededGenerator(seed: 5)
    let noise = Tensor(randomNormal: [count, 2], standardDeviation: 1, using: &generator)
    let centres: [[Float]] = [[2, 0], [-1, 1.7], [-1, -1.7]]
    var images = Tensor(zeros: [count, 2])
    var labels: [Int] = []
    for i in 0..<count {
      let label = i % 3
      labels.append(label)
      images.scalars[2 * i] = centres[label][0] + noise.scalars[2 * i]
      images.scalars[2 * i + 1] = centres[label][1] + noise.scalars[2 * i + 1]
    }
    return (images, labels)
  }

  @Test("the trainer sets the optimizer's rate from its schedule at every step")
  func trainerAsksSchedule() throws {
    let (images, labels) = Self.blobs(count: 30)
    var generator = SeededGenerator(seed: 1)
    let model = Sequential(try Dense(inputSize: 2, outputSize: 3, using: &generator))
    let optimizer = try SGD(parameters: model.parameters, learningRate: 99)
    let trainer = try Trainer(model: model, optimizer: optimizer, batchSize: 10, seed: 1,
                          schedule: try StepDecay(initialRate: 0.1, factor: 0.5, stepSize: 1))
    var seen: [Float] = []
    for _ in 0..<3 {
      try trainer.step(images: images.slice(0..<10), labels: Array(labels[0..<10]))
      seen.append(optimizer.learningRate)
    }
    #expect(seen == [0.1, 0.05, 0.025])
    #expect(trainer.stepCount == 3)
  }

  @Test("the finder sweeps exponentially, restores the weights, and its rate trains")
  func finder() throws {
    let (images, labels) = Self.blobs(count: 300)
    var generator = SeededGenerator(seed: 2)
    let model = Sequential(try Dense(inputSize: 2, outputSize: 16, using: &generator), ReLU(),
                           try Dense(inputSize: 16, outputSize: 3, using: &generator))
    let before = model.parameters.map(\.value)
    let finder = try LearningRateFinder(startRate: 1e-4, endRate: 100, steps: 120)
    let result = try finder.run(model: model, optimizer: try SGD(parameters: model.parameters, learningRate: 1, momentum: 0.9),
                                images: images, labels: labels, batchSize: 20, seed: 3)
    #expect(model.parameters.map(\.value) == before, "the sweep must leave the weights as it found them")
    #expect(result.rates.first == 1e-4)
    let ratios = zip(result.rates, result.rates.dropFirst()).map { Double($1 / $0) }
    let exponential = ratios.allSatisfy { abs($0 - pow(1e6, 1.0 / 119)) < 1e-4 }
    #expect(exponential, "\(ratios)")
    #expect(result.suggestedRate == result.minimumRate / 10)
    #expect(result.minimumRate < 100, "the loss's minimum must come before the end of the sweep")
    #expect(result.suggestedRate > 1e-4 && result.suggestedRate < 100)
    // The smoothed loss at the minimum is clearly below where the sweep started.
    #expect(result.smoothedLosses.min()! < 0.8 * result.smoothedLosses[0])

    // The suggested rate trains: 60 steps from the same start lower the loss, every loss finite.
    let optimizer = try SGD(parameters: model.parameters, learningRate: result.suggestedRate, momentum: 0.9)
    let trainer = try Trainer(model: model, optimizer: optimizer, batchSize: 20, seed: 3)
    var losses: [Float] = []
    for epoch in 0..<4 { losses += try trainer.trainEpoch(images: images, labels: labels, epoch: epoch).losses }
    let finite = losses.allSatisfy { $0.isFinite }
    #expect(finite)
    #expect(losses.suffix(10).reduce(0, +) / 10 < 0.5 * losses[0])
  }
}
