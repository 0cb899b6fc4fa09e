// Chapter 11: optimizers. Six update rules race on the same LeNet-5, the same initial weights and
// the same batches; their paths on a 2-D surface show why momentum and per-parameter step sizes
// help; a learning-rate finder picks a rate and four schedules spend it; every rule and schedule
// is checked against PyTorch.

import CNN
import Plotting
import Foundation

/// Chapter 11: SGD, momentum, Nesterov, RMSProp, Adam and AdamW; schedules and a finder.
struct Optimizers: ExperimentChapter {
  static let number = 11
  static let slug = "optimizers"
  static let title = "Optimizers: SGD, momentum, Nesterov, RMSProp, Adam, AdamW; schedules and a finder"

  /// Every number the chapter is run with. The "Try this" experiments change one of them.
  struct Knobs: Sendable {
    var batchSize = 64
    /// Steps of the race (and of each schedule's run): full and quick.
    var raceSteps = 600
    var quickRaceSteps = 50
    /// The race's rates: plain SGD and the two momentum variants share `sgdRate`; RMSProp, Adam
    /// and AdamW share `adaptiveRate` (their usual defaults, 0.05 as in chapter 8 and 1e-3).
    var sgdRate: Float = 0.05
    var momentum: Float = 0.9
    var adaptiveRate: Float = 1e-3
    var adamWDecay: Float = 0.01
    /// The 2-D surface f(x, y) = (x² + κ y²) / 2 and each optimizer's rate on it.
    var condition: Double = 50
    var surfaceSteps = 60
    var surfaceSGDRate: Float = 0.038
    var surfaceMomentumRate: Float = 0.01
    var surfaceMomentum: Float = 0.9
    var surfaceRMSPropRate: Float = 0.05
    var surfaceAdamRate: Float = 0.2
    /// The learning-rate finder: rates from `finderStart` to `finderEnd` over this many batches.
    var finderSteps = 200
    var quickFinderSteps = 80
    var finderStart: Float = 1e-4
    var finderEnd: Float = 10
    /// β of the finder's running mean: its lag, about 1/(1 − β) steps, must stay short against the sweep.
    var finderSmoothing = 0.9
  }

  static var defaultKnobs: Knobs { Knobs() }
  let knobs: Knobs
  init(knobs: Knobs) { self.knobs = knobs }
  init() { self.init(knobs: Self.defaultKnobs) }

  /// One optimizer of the race: its name, its settings as text, and how to build it.
  struct Contender {
    let name: String
    let key: String
    let settings: String
    let make: ([Parameter]) throws -> any Optimizer
  }

  func raceContenders() -> [Contender] {
    let (lr, mu, adaptive, decay) = (knobs.sgdRate, knobs.momentum, knobs.adaptiveRate, knobs.adamWDecay)
    return [
      Contender(name: "SGD", key: "sgd", settings: "η = \(lr)") { try SGD(parameters: $0, learningRate: lr) },
      Contender(name: "momentum", key: "momentum", settings: "η = \(lr), μ = \(mu)") {
        try SGD(parameters: $0, learningRate: lr, momentum: mu)
      },
      Contender(name: "Nesterov", key: "nesterov", settings: "η = \(lr), μ = \(mu)") {
        try SGD(parameters: $0, learningRate: lr, momentum: mu, nesterov: true)
      },
      Contender(name: "RMSProp", key: "rmsprop", settings: "η = \(adaptive), α = 0.99") {
        try RMSProp(parameters: $0, learningRate: adaptive)
      },
      Contender(name: "Adam", key: "adam", settings: "η = \(adaptive), β = (0.9, 0.999)") {
        try Adam(parameters: $0, learningRate: adaptive)
      },
      Contender(name: "AdamW", key: "adamw", settings: "η = \(adaptive), λ = \(decay)") {
        try AdamW(parameters: $0, learningRate: adaptive, weightDecay: decay)
      },
    ]
  }

  func surfaceContenders() -> [Contender] {
    let k = knobs
    return [
      Contender(name: "SGD", key: "sgd", settings: "η = \(k.surfaceSGDRate)") {
        try SGD(parameters: $0, learningRate: k.surfaceSGDRate)
      },
      Contender(name: "momentum", key: "momentum", settings: "η = \(k.surfaceMomentumRate), μ = \(k.surfaceMomentum)") {
        try SGD(parameters: $0, learningRate: k.surfaceMomentumRate, momentum: k.surfaceMomentum)
      },
      Contender(name: "Nesterov", key: "nesterov", settings: "η = \(k.surfaceMomentumRate), μ = \(k.surfaceMomentum)") {
        try SGD(parameters: $0, learningRate: k.surfaceMomentumRate, momentum: k.surfaceMomentum, nesterov: true)
      },
      Contender(name: "RMSProp", key: "rmsprop", settings: "η = \(k.surfaceRMSPropRate)") {
        try RMSProp(parameters: $0, learningRate: k.surfaceRMSPropRate)
      },
      Contender(name: "Adam", key: "adam", settings: "η = \(k.surfaceAdamRate)") {
        try Adam(parameters: $0, learningRate: k.surfaceAdamRate)
      },
      Contender(name: "AdamW", key: "adamw", settings: "η = \(k.surfaceAdamRate), λ = 0.1") {
        try AdamW(parameters: $0, learningRate: k.surfaceAdamRate, weightDecay: 0.1)
      },
    ]
  }

  func run(_ page: Page) throws {
    page.prose("""
      Chapter 8 trained LeNet-5 with SGD and momentum. That is one of many update rules; they all
      read the same gradient $g_t$ and differ in what they do with it. With learning rate $\\eta$:
      """)
    page.math(
      #"\text{SGD: } \theta \leftarrow \theta - \eta g \qquad \text{momentum: } b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \eta b \qquad \text{Nesterov: } b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \eta (g + \mu b)"#,
      #"\text{RMSProp: } v \leftarrow \alpha v + (1-\alpha) g^2,\quad \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{v} + \epsilon}"#,
      #"\text{Adam: } m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad \theta \leftarrow \theta - \eta\, \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}"#,
      #"\text{AdamW: } \theta \leftarrow (1 - \eta\lambda)\,\theta \text{ first, then the Adam step on } g \text{ (Adam's own weight decay adds } \lambda\theta \text{ to } g \text{ instead)}"#)
    page.prose("""
      Momentum keeps a running sum of past gradients, so steps that agree add up and steps that
      alternate cancel. RMSProp and Adam divide every weight's step by the root mean square of its
      own recent gradients: each weight gets its own step size. All squares, roots and divisions
      are element by element.
      """)
    page.code("Sources/CNN/Optimizers/SGD.swift", "Sources/CNN/Optimizers/RMSProp.swift",
              "Sources/CNN/Optimizers/Adam.swift", "Sources/CNN/Optimizers/AdamW.swift",
              "Sources/CNN/Optimizers/LearningRateSchedule.swift", "Sources/CNN/Training/LearningRateFinder.swift",
              "Sources/CNN/Report/ContourPlot.swift")

    try checkAgainstPyTorch(page)
    try surface(page)
    let race = try race(page)
    let finder = try findRate(page)
    try schedules(page, suggested: finder.suggestedRate)
    try landscape(page)

    // Checks that span sections.
    for entry in race {
      page.check("\(entry.name) lowers the loss (mean of the last \(entry.tail) batches below the first batch's)",
                 entry.finalLoss / entry.losses[0], below: 1)
    }
    let firstLosses = Set(race.map { $0.losses[0].bitPattern })
    page.check("all six start from the same loss (same weights, same first batch), bit for bit", firstLosses.count == 1)

    page.prose("""
      This chapter's full run took \(formatted(page.elapsedSeconds, .seconds)) on this machine (the
      training runs dominate it); `--quick` runs \(knobs.quickRaceSteps) steps per optimizer on a slice of the data.
      """)
    page.tryThis(Self.experiments)
  }

  // MARK: - 1. The rules against PyTorch

  func checkAgainstPyTorch(_ page: Page) throws {
    page.step("Every update rule against PyTorch")
    let fixture = try Fixture.pyTorch("optimizers_family")
    let input = try fixture.tensor("input"), target = try fixture.tensor("target")
    var rows: [[String]] = []
    var errors: [(String, Float)] = []
    for run in try fixture.children("runs") {
      let name = try run.string("name")
      let settings = try run.child("settings")
      var generator = SeededGenerator(seed: 0)
      let layer = try Dense(inputSize: 3, outputSize: 2, using: &generator)
      layer.weight.value = try fixture.tensor("weight")
      layer.bias.value = try fixture.tensor("bias")
      let optimizer = try Self.optimizer(named: name, settings: settings, parameters: layer.parameters)
      var worst: Float = 0
      for (weight, bias) in zip(try run.tensors("weights"), try run.tensors("biases")) {
        optimizer.zeroGrad()
        let (_, gradient) = try meanSquaredError(try layer.forward(input, mode: .training), target)
        _ = try layer.backward(gradient)
        optimizer.step()
        worst = max(worst, layer.weight.value.maxAbsDifference(weight), layer.bias.value.maxAbsDifference(bias))
      }
      errors.append((name, worst))
      rows.append([name, "`\(try run.string("description"))`", formatted(Double(worst), .scientific(1))])
    }
    page.table(headers: ["optimizer", "PyTorch reference", "max |Δ| over 5 steps"], rows: rows)
    page.prose("""
      Each rule took five steps on a small dense layer fitting random targets, from the same
      weights as `torch.optim` did (`Tests/CNNTests/Fixtures/optimizers_family.json`, written by
      `make_fixtures.py`). The weights agree to float32 rounding; a wrong β, a missing bias
      correction or decay applied in the wrong place would differ by 1e-3 or more.
      """)
    for (name, error) in errors {
      page.check("\(name): 5 steps match torch.optim", error, atMost: 1e-5)
    }
  }

  /// The library optimizer for a fixture run, configured from its PyTorch settings.
  static func optimizer(named name: String, settings: Fixture, parameters: [Parameter]) throws -> any Optimizer {
    let lr = try settings.float("lr"), decay = try settings.float("weight_decay")
    switch name {
    case "sgd", "momentum", "nesterov":
      return try SGD(parameters: parameters, learningRate: lr, momentum: try settings.float("momentum"),
                 nesterov: try settings.bool("nesterov"), weightDecay: decay)
    case let rms where rms.hasPrefix("rmsprop"):
      return try RMSProp(parameters: parameters, learningRate: lr, alpha: try settings.float("alpha"),
                     epsilon: try settings.float("eps"), weightDecay: decay, momentum: try settings.float("momentum"),
                     centered: try settings.bool("centered"))
    case "adam":
      return try Adam(parameters: parameters, learningRate: lr, beta1: try settings.float("beta1"),
                  beta2: try settings.float("beta2"), epsilon: try settings.float("eps"), weightDecay: decay)
    case let adamW where adamW.hasPrefix("adamw"):
      return try AdamW(parameters: parameters, learningRate: lr, beta1: try settings.float("beta1"),
                   beta2: try settings.float("beta2"), epsilon: try settings.float("eps"), weightDecay: decay)
    default:
      throw CNNError("optimizers_family.json: unknown optimizer '\(name)'")
    }
  }

  // MARK: - 2. A surface you can see

  func surface(_ page: Page) throws {
    page.step("Six paths across a narrow valley")
    let kappa = knobs.condition
    page.prose("""
      A loss of two weights can be drawn. Take the valley $f(x, y) = (x^2 + \\kappa y^2)/2$ with
      $\\kappa = \(formatted(kappa))$: its gradient $(x, \\kappa y)$ is \(formatted(kappa)) times steeper across the valley
      than along it, as in a real network where some weights have much larger gradients than others.
      Every optimizer starts at $(-4, 1.5)$ and takes \(knobs.surfaceSteps) steps using the library's classes
      (the gradient is written into a `Parameter` of two numbers).
      """)
    let start: (Float, Float) = (-4, 1.5)
    func f(_ x: Double, _ y: Double) -> Double { (x * x + kappa * y * y) / 2 }
    var paths: [(Contender, [Double], [Double])] = []
    for contender in surfaceContenders() {
      let theta = Parameter(name: "xy", value: Tensor(shape: [2], scalars: [start.0, start.1]))
      let optimizer = try contender.make([theta])
      var xs = [Double(start.0)], ys = [Double(start.1)]
      for _ in 0..<knobs.surfaceSteps {
        optimizer.zeroGrad()
        theta.grad = Tensor(shape: [2], scalars: [theta.value.scalars[0], Float(kappa) * theta.value.scalars[1]])
        optimizer.step()
        xs.append(Double(theta.value.scalars[0]))
        ys.append(Double(theta.value.scalars[1]))
      }
      paths.append((contender, xs, ys))
    }
    let initial = f(Double(start.0), Double(start.1))
    page.number("surface: loss at the start", initial, key: "surface_initial")
    var rows: [[String]] = []
    for (contender, xs, ys) in paths {
      let final = f(xs.last!, ys.last!)
      page.number("surface: \(contender.name) loss after \(knobs.surfaceSteps) steps", final, key: "surface_final_\(contender.key)")
      rows.append([contender.name, contender.settings, formatted(final, .scientific(2)),
                   "(\(formatted(xs.last!, .fixed(3))), \(formatted(ys.last!, .fixed(3))))"])
    }
    page.table(headers: ["optimizer", "settings", "f after \(knobs.surfaceSteps) steps", "where it ended"], rows: rows)

    let (xRange, yRange) = (-4.5...2.0, -2.0...2.0)
    let grid = (0..<81).map { j in
      (0..<131).map { i in f(xRange.lowerBound + 6.5 * Double(i) / 130, yRange.lowerBound + 4 * Double(j) / 80) }
    }
    let levels = [0.05, 0.2, 0.5, 1, 2, 4, 8, 16, 32, 64, 128]
    func panel(_ chosen: ArraySlice<(Contender, [Double], [Double])>, _ title: String, colorOffset: Int) -> Image {
      contourPlot(
        values: grid, xRange: xRange, yRange: yRange, levels: levels,
        paths: chosen.enumerated().map { index, path in
          Series(path.0.name, x: path.1, y: path.2, color: Color.palette[(colorOffset + index) % Color.palette.count],
                 markers: true)
        },
        marker: (0, 0), title: title, xLabel: "x", yLabel: "y", width: 900, height: 400)
    }
    try page.figure("surface-paths.png", Figures.stack([
      panel(paths[0..<3], "f = (x^2 + \(formatted(kappa)) y^2) / 2: SGD, momentum, Nesterov", colorOffset: 0),
      panel(paths[3..<6], "the same valley: per-weight step sizes", colorOffset: 3),
    ], horizontally: false), caption: """
      Contour lines of the valley (darker = higher loss; the cross marks the minimum, the ring the \
      start) and each optimizer's \(knobs.surfaceSteps) steps, one dot per step. Compare where each path \
      ends (the big dot) with the table above: a path that bounces across the valley spends its steps \
      on the steep direction; one that runs straight along the floor has its steps balanced between x and y.
      """)
    let sgd = paths[0], momentum = paths[1], nesterov = paths[2], adam = paths[4]
    let sgdFinal = f(sgd.1.last!, sgd.2.last!), momentumFinal = f(momentum.1.last!, momentum.2.last!)
    let nesterovFinal = f(nesterov.1.last!, nesterov.2.last!), adamFinal = f(adam.1.last!, adam.2.last!)
    let sgdBounces = zip(sgd.2.dropFirst(), sgd.2.dropFirst(2)).filter { $0 * $1 < 0 }.count
    // How often a path crossed x = 0 (passed the minimum along the valley).
    func overshoots(_ xs: [Double]) -> Int { zip(xs, xs.dropFirst()).filter { $0 * $1 < 0 }.count }
    let momentumOvershoots = overshoots(momentum.1), nesterovOvershoots = overshoots(nesterov.1)
    page.number("surface: momentum's crossings of x = 0", momentumOvershoots, key: "surface_momentum_overshoots")
    page.number("surface: Nesterov's crossings of x = 0", nesterovOvershoots, key: "surface_nesterov_overshoots")
    func swings(_ count: Int) -> String {
      count == 0 ? "never passes the minimum along the valley" : "passes the minimum \(count) time\(count == 1 ? "" : "s") and swings back"
    }
    page.prose("""
      Plain SGD's rate is capped by the steep direction: above $\\eta = 2/\\kappa = \(formatted(2 / kappa, .fixed(3)))$ the
      zig-zag in y grows at every step. At $\\eta = \(knobs.surfaceSGDRate)$ its y changed sign on \(sgdBounces) of
      \(knobs.surfaceSteps - 1) steps (the zig-zag), while along the shallow x direction each step removes only
      $\(formatted(knobs.surfaceSGDRate, .fixed(3)))$ of the distance: after \(knobs.surfaceSteps) steps f is
      \(formatted(sgdFinal, .scientific(1))). Momentum at $\\eta = \(knobs.surfaceMomentumRate)$, $\\mu = \(knobs.surfaceMomentum)$ adds
      up the steps that agree (along the floor) and cancels those that alternate (across it); its path
      \(swings(momentumOvershoots)) (f = \(formatted(momentumFinal, .scientific(1)))). Nesterov, which takes
      its gradient step from the look-ahead point, \(swings(nesterovOvershoots)) (f = \(formatted(nesterovFinal, .scientific(1)))).
      RMSProp and Adam divide each coordinate's step by its own gradient scale, so they head towards
      the minimum without a sense of which direction is steep
      (Adam: f = \(formatted(adamFinal, .scientific(1)))).
      """)
  }

  // MARK: - 3. The race on LeNet-5

  /// One optimizer's race.
  struct RaceEntry {
    let name: String
    let key: String
    let settings: String
    var losses: [Float]
    var tail: Int
    var finalLoss: Float
    var accuracy: Double
    var secondsPerStep: Double
    var updateSeconds: Double
    var diverged: Bool
  }

  /// Training data for this run: the whole set (full) or a slice (quick).
  func data(_ page: Page) throws -> (train: Dataset, test: Dataset) {
    let train = try page.dataset(.train, atLeast: 100, for: "the optimizer race trains on mini-batches of \(knobs.batchSize)")
    let test = try page.dataset(.test, atLeast: 10, for: "the race's test accuracy")
    if page.isQuick { return (try train.subset(0..<min(5_000, train.count)), try test.subset(0..<min(1_000, test.count))) }
    return (train, test)
  }

  /// Trains `model` for `steps` batches in the seeded order (epochs as needed), optionally with a
  /// schedule; stops at a non-finite loss. Returns the batch losses and the wall time.
  func trainSteps(
    _ model: Sequential, optimizer: any Optimizer, schedule: (any LearningRateSchedule)?, steps: Int,
    train: Dataset, page: Page, label: String
  ) throws -> (losses: [Float], seconds: Double, diverged: Bool) {
    let trainer = try Trainer(
      model: model, optimizer: optimizer, batchSize: knobs.batchSize, seed: page.seed, schedule: schedule)
    let batches = try MiniBatches(count: train.count, batchSize: knobs.batchSize, seed: page.seed)
    let progress = page.progress(label, total: steps)
    var losses: [Float] = []
    var epoch = 0
    var order = batches.batches(epoch: 0)
    var position = 0
    var running: Float = 0
    let clock = ContinuousClock()
    let start = clock.now
    for step in 0..<steps {
      if position == order.count { epoch += 1; order = batches.batches(epoch: epoch); position = 0 }
      let batch = order[position]
      position += 1
      // The trainer refuses a non-finite loss (or output) with an error; here that is a result, divergence.
      let loss: Float
      do {
        loss = try trainer.step(images: gather(images: train.images, indices: batch), labels: batch.map { train.labels[$0] }).loss
      } catch let error as CNNError where error.description.contains("is not a finite number") {
        loss = .nan
      }
      guard loss.isFinite else {
        progress.finish(status: "diverged at step \(step)")
        return (losses, Self.seconds(clock.now - start), true)
      }
      losses.append(loss)
      running = step == 0 ? loss : 0.95 * running + 0.05 * loss
      progress.advance(status: "loss \(formatted(running, .fixed(3)))")
    }
    let seconds = Self.seconds(clock.now - start)
    progress.finish(status: "loss \(formatted(running, .fixed(3))), \(formatted(seconds, .seconds))")
    return (losses, seconds, false)
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
  }

  /// A running mean with bias correction (so the first points are not pulled towards 0).
  static func smoothed(_ values: [Float], beta: Double = 0.95) -> [Double] {
    var average = 0.0
    return values.enumerated().map { t, value in
      average = beta * average + (1 - beta) * Double(value)
      return average / (1 - pow(beta, Double(t + 1)))
    }
  }

  func race(_ page: Page) throws -> [RaceEntry] {
    page.step("The race: six optimizers, one network, the same batches")
    let (train, test) = try data(page)
    let steps = page.isQuick ? knobs.quickRaceSteps : knobs.raceSteps
    page.prose("""
      Each optimizer trains a fresh LeNet-5 from the same initial weights (seed \(page.seed), stream 111) on
      the same \(steps) mini-batches of \(knobs.batchSize) images, in the same order. Only the update rule differs.
      The rates are each family's usual default, not tuned per optimizer: step 4 shows how to pick one.
      """)
    var entries: [RaceEntry] = []
    for contender in raceContenders() {
      var generator = page.generator(stream: 111)
      let model = try Models.leNet5(using: &generator)
      let optimizer = try contender.make(model.parameters)
      let run = try trainSteps(model, optimizer: optimizer, schedule: nil, steps: steps, train: train, page: page,
                          label: contender.name)
      let accuracy = run.diverged ? 0 : Double(try CNN.accuracy(logits: try Trainer.predict(model, images: test.images), labels: test.labels))
      // The cost of the update alone: a few more steps on the last gradients (the model is done).
      // The fastest of 20 single timings: the machine's other load only ever adds time.
      let clock = ContinuousClock()
      var updateSeconds = Double.infinity
      for _ in 0..<20 {
        let updateStart = clock.now
        optimizer.step()
        updateSeconds = min(updateSeconds, Self.seconds(clock.now - updateStart))
      }
      let tail = max(1, min(run.losses.count, steps / 10))
      let finalLoss = run.losses.isEmpty ? .nan : run.losses.suffix(tail).reduce(0, +) / Float(tail)
      entries.append(RaceEntry(
        name: contender.name, key: contender.key, settings: contender.settings, losses: run.losses, tail: tail,
        finalLoss: run.diverged ? .nan : finalLoss, accuracy: accuracy,
        secondsPerStep: run.seconds / Double(max(run.losses.count, 1)), updateSeconds: updateSeconds,
        diverged: run.diverged))
      page.number("\(contender.name): final loss", Double(finalLoss), format: .fixed(4), key: "race_final_loss_\(contender.key)")
      page.number("\(contender.name): test accuracy", accuracy, format: .percent(2), key: "race_accuracy_\(contender.key)")
    }
    page.table(
      headers: ["optimizer", "settings", "loss, mean of the last \(entries[0].tail) batches", "test accuracy after \(steps) steps",
                "ms per training step", "ms per update alone"],
      rows: entries.map { entry in
        [entry.name, entry.settings, entry.diverged ? "diverged" : formatted(entry.finalLoss, .fixed(4)),
         percent(entry.accuracy), milliseconds(entry.secondsPerStep), milliseconds(entry.updateSeconds)]
      })
    let lossChart = lineChart(
      entries.map { Series($0.name, y: Self.smoothed($0.losses)) }, title: "training loss (running mean)",
      xLabel: "step", yLabel: "cross-entropy (log scale)", logY: true, width: 620, height: 440)
    let accuracyChart = barChart(
      categories: entries.map(\.name), values: entries.map { $0.accuracy * 100 },
      title: "test accuracy", yLabel: "accuracy after \(steps) steps (%)", yRange: 0...100, width: 370, height: 440)
    try page.figure("race.png", Figures.stack([lossChart, accuracyChart], horizontally: true), caption: """
      Left: each optimizer's batch loss as a running mean (β = 0.95), on a log scale, over the same \(steps) \
      batches. Right: accuracy on \(formatted(test.count)) test images after the last step. See the table above \
      for the numbers behind both panels.
      """)
    let best = entries.filter { !$0.diverged }.min { $0.finalLoss < $1.finalLoss }
    let worst = entries.filter { !$0.diverged }.max { $0.finalLoss < $1.finalLoss }
    let updateShares = entries.map { $0.updateSeconds / max($0.secondsPerStep, 1e-12) }
    if let best, let worst {
      page.prose("""
        After \(steps) steps, **\(best.name)** has the lowest loss (\(formatted(best.finalLoss, .fixed(3))),
        \(percent(best.accuracy)) test accuracy) and \(worst.name) the highest (\(formatted(worst.finalLoss, .fixed(3))),
        \(percent(worst.accuracy))). The order depends on the rates: with these defaults the race compares
        the families as people usually start them, not their best. The update itself is cheap: between
        \(percent(updateShares.min() ?? 0, digits: 1)) and \(percent(updateShares.max() ?? 0, digits: 1)) of a training step (the
        fastest of 20 timings of `step()` against the mean training step), even with Adam's two moment
        buffers per weight; the forward and backward passes cost the rest. The times depend on the
        machine and its load: compare them within one run only.
        """)
    }
    return entries
  }

  // MARK: - 4. Picking a rate

  func findRate(_ page: Page) throws -> LearningRateFinder.Result {
    page.step("The learning-rate finder")
    let (train, _) = try data(page)
    let steps = page.isQuick ? knobs.quickFinderSteps : knobs.finderSteps
    let finder = try LearningRateFinder(
      startRate: knobs.finderStart, endRate: knobs.finderEnd, steps: steps, smoothing: knobs.finderSmoothing)
    var generator = page.generator(stream: 112)
    let model = try Models.leNet5(using: &generator)
    let optimizer = try SGD(parameters: model.parameters, learningRate: knobs.finderStart, momentum: knobs.momentum)
    let result = try finder.run(model: model, optimizer: optimizer, images: train.images, labels: train.labels,
                                batchSize: knobs.batchSize, seed: page.seed)
    page.number("finder: rate at the smoothed loss's minimum", Double(result.minimumRate), key: "finder_minimum_rate")
    page.number("finder: rate of steepest descent", Double(result.steepestRate), key: "finder_steepest_rate")
    page.number("finder: suggested rate", Double(result.suggestedRate), key: "finder_suggested_rate")
    page.prose("""
      Train a fresh LeNet-5 (SGD, momentum \(knobs.momentum)) for \(steps) batches while the rate grows
      exponentially from \(formatted(knobs.finderStart)) to \(formatted(knobs.finderEnd)), one batch per rate, and record the loss.
      \(result.stoppedEarly ? "The sweep stopped after \(result.rates.count) batches, when the running mean of the loss passed 4× its minimum." : "The loss never passed 4× its minimum, so the sweep ran to the end.")
      The running mean of the loss is lowest at $\\eta = \(formatted(result.minimumRate))$ and falls fastest at
      $\\eta = \(formatted(result.steepestRate))$. The finder suggests **a tenth of the minimum's rate,
      $\\eta = \(formatted(result.suggestedRate))$**: at the minimum the loss is about to blow up; a decade
      lower is still on the steep, descending part of the curve.
      """)
    let top = (result.smoothedLosses.max() ?? 3) * 1.15
    let marks = [
      Series("suggested η = \(formatted(result.suggestedRate))", x: [Double(result.suggestedRate), Double(result.suggestedRate)],
             y: [0, top], color: Color.good, dashed: true),
      Series("minimum of the mean", x: [Double(result.minimumRate), Double(result.minimumRate)], y: [0, top],
             color: Color.bad, dashed: true),
    ]
    try page.figure("lr-finder.png", lineChart([
      Series("batch loss", x: result.rates.map(Double.init), y: result.losses.map(Double.init), color: Color(170, 190, 220)),
      Series("running mean", x: result.rates.map(Double.init), y: result.smoothedLosses, color: Color.palette[0]),
    ] + marks, title: "learning-rate finder (SGD, momentum \(knobs.momentum))", xLabel: "learning rate (log scale)",
      yLabel: "cross-entropy", logX: true, yRange: 0...top, width: 800, height: 440), caption: """
      The loss of each batch against the rate it was trained with (light) and its running mean (dark). \
      Flat on the left (steps too small to matter), falling in the middle, rising on the right \
      (steps too large). Red dashes: the minimum of the running mean; green: the suggested rate, a tenth of it.
      """)
    return result
  }

  func schedules(_ page: Page, suggested: Float) throws {
    page.step("Spending the rate: four schedules")
    let (train, test) = try data(page)
    let steps = page.isQuick ? knobs.quickRaceSteps : knobs.raceSteps
    let schedules: [(String, any LearningRateSchedule)] = [
      ("constant", ConstantRate(suggested)),
      ("step decay (×0.3 every \(steps / 3))", try StepDecay(initialRate: suggested, factor: 0.3, stepSize: max(1, steps / 3))),
      ("warm-up \(steps / 10) + cosine", try WarmupCosine(peakRate: suggested, warmupSteps: steps / 10, totalSteps: steps)),
      ("one-cycle", try OneCycle(maxRate: suggested, totalSteps: steps)),
    ]
    page.prose("""
      A schedule is a small value the trainer asks before each step: `rate(atStep: t)`. Four of them, each
      peaking at the finder's rate $\\eta = \(formatted(suggested))$ (SGD, momentum \(knobs.momentum), \(steps) steps, the
      race's initial weights and batches):
      """)
    page.math(
      #"\text{step: } \eta_0 \gamma^{\lfloor t/s \rfloor} \qquad \text{cosine: } \eta_{\min} + (\eta_{\max} - \eta_{\min}) \frac{1 + \cos(\pi (t - W)/(T - W))}{2} \text{ after a linear warm-up over } W \text{ steps}"#,
      #"\text{one-cycle: cosine up from } \eta_{\max}/25 \text{ to } \eta_{\max} \text{ over the first 30\%, then cosine down to } \eta_{\max}/(25 \cdot 10^4)"#)
    try page.figure("schedules.png", lineChart(
      schedules.map { name, schedule in Series(name, y: schedule.rates(steps: steps).map(Double.init)) },
      title: "learning rate per step", xLabel: "step", yLabel: "learning rate",
      yRange: 0...Double(suggested) * 1.6, width: 800, height: 400), caption: """
      The four schedules over the \(steps) steps, all peaking at the suggested rate. Warm-up and one-cycle \
      start small; step decay and cosine end small.
      """)

    var rows: [[String]] = []
    var constantRun: (losses: [Float], diverged: Bool) = ([], true)
    for (index, (name, schedule)) in schedules.enumerated() {
      var generator = page.generator(stream: 111)
      let model = try Models.leNet5(using: &generator)
      let optimizer = try SGD(parameters: model.parameters, learningRate: suggested, momentum: knobs.momentum)
      let run = try trainSteps(model, optimizer: optimizer, schedule: schedule, steps: steps, train: train, page: page, label: name)
      let accuracy = run.diverged ? 0 : Double(try CNN.accuracy(logits: try Trainer.predict(model, images: test.images), labels: test.labels))
      let tail = max(1, steps / 10)
      let finalLoss = run.losses.suffix(tail).reduce(0, +) / Float(max(1, min(tail, run.losses.count)))
      if index == 0 { constantRun = (run.losses, run.diverged) }
      page.number("schedule \(index): test accuracy", accuracy, format: .percent(2), key: "schedule_accuracy_\(index)")
      rows.append([name, run.diverged ? "diverged" : formatted(finalLoss, .fixed(4)), percent(accuracy)])
    }
    page.table(headers: ["schedule (peak η = \(formatted(suggested)))", "loss, mean of the last \(max(1, steps / 10)) batches",
                         "test accuracy"], rows: rows)
    page.prose("""
      With so few steps the differences are small and can change order with the seed; what holds
      for any seed is that the finder's rate trains: the constant-rate run at $\\eta = \(formatted(suggested))$
      \(constantRun.diverged ? "DIVERGED" : "kept every loss finite and ended below its first loss").
      """)

    // The schedules against torch.optim.lr_scheduler.
    let fixture = try Fixture.pyTorch("lr_schedules")
    let base = try fixture.float("baseRate"), total = try fixture.int("totalSteps")
    let stepCase = try fixture.child("step"), cosineCase = try fixture.child("warmupCosine"), cycleCase = try fixture.child("oneCycle")
    let references: [(String, any LearningRateSchedule, [Float])] = [
      ("StepLR", try StepDecay(initialRate: base, factor: try stepCase.float("factor"), stepSize: try stepCase.int("stepSize")),
       try stepCase.floats("rates")),
      ("SequentialLR(LinearLR, CosineAnnealingLR)", try WarmupCosine(
        peakRate: base, warmupSteps: try cosineCase.int("warmupSteps"), totalSteps: total,
        startFactor: try cosineCase.float("startFactor"), finalRate: try cosineCase.float("finalRate")),
       try cosineCase.floats("rates")),
      ("OneCycleLR", try OneCycle(maxRate: base, totalSteps: total, warmupFraction: try cycleCase.float("warmupFraction"),
                                  divFactor: try cycleCase.float("divFactor"), finalDivFactor: try cycleCase.float("finalDivFactor")),
       try cycleCase.floats("rates")),
    ]
    for (name, schedule, rates) in references {
      let error = zip(schedule.rates(steps: total), rates).map { abs($0 - $1) / max(abs($1), 1e-12) }.max() ?? .infinity
      page.check("\(name): \(total) rates match PyTorch (max relative error)", error, atMost: 1e-5)
    }
    let constantFinal = constantRun.losses.suffix(max(1, steps / 10))
    let constantMean = constantFinal.reduce(0, +) / Float(max(constantFinal.count, 1))
    page.check("the suggested rate trains without diverging (final / first loss)",
               constantRun.diverged || constantRun.losses.isEmpty ? .infinity : constantMean / constantRun.losses[0], below: 1)
  }

  // MARK: - 5. A real loss surface

  func landscape(_ page: Page) throws {
    page.step("A slice of the real loss surface, around chapter 8's trained LeNet-5")
    let trained = try LeNet.trainedModel(for: page)
    let model = trained.model
    switch trained.decision {
    case .load:
      page.prose("""
        The trained LeNet-5 comes from chapter 8's checkpoint (`\((trained.path as NSString).lastPathComponent)`): its header
        records the same architecture, seed (\(page.seed)), training recipe and data as this run needs, so
        it was loaded instead of trained again.
        """)
    case .retrain(let reason):
      page.prose("""
        Chapter 8's checkpoint could not stand in for training (\(reason)), so LeNet-5 was trained here
        exactly as chapter 8 trains it, and saved for the next chapter.
        """)
    }
    let (train, _) = try data(page)
    let sample = try train.subset(0..<min(page.isQuick ? 200 : 500, train.count))
    // Two random directions, each tensor scaled to the norm of the weights it perturbs (per output
    // unit, "filter normalisation", Li et al. 2018, https://arxiv.org/abs/1712.09913); biases stay put.
    var generator = page.generator(stream: 113)
    let center = model.parameters.map(\.value)
    func direction() -> [Tensor] {
      center.map { weight in
        guard weight.rank >= 2 else { return Tensor(zeros: weight.shape) }
        var d = Tensor(randomNormal: weight.shape, using: &generator)
        let rows = weight.shape[0], width = weight.count / rows
        for r in 0..<rows {
          let w = weight.scalars[r * width..<(r + 1) * width], v = d.scalars[r * width..<(r + 1) * width]
          let scale = w.map { $0 * $0 }.reduce(0, +).squareRoot() / max(v.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
          for i in r * width..<(r + 1) * width { d.scalars[i] *= scale }
        }
        return d
      }
    }
    let (d1, d2) = (direction(), direction())
    let points = page.isQuick ? 9 : 21
    let span = 1.0
    var grid: [[Double]] = []
    for j in 0..<points {
      var row: [Double] = []
      for i in 0..<points {
        let a = Float(-span + 2 * span * Double(i) / Double(points - 1))
        let b = Float(-span + 2 * span * Double(j) / Double(points - 1))
        for (k, parameter) in model.parameters.enumerated() {
          var value = center[k]
          for e in 0..<value.count { value.scalars[e] += a * d1[k].scalars[e] + b * d2[k].scalars[e] }
          parameter.value = value
        }
        let logits = try Trainer.predict(model, images: sample.images)
        row.append(Double(try softmaxCrossEntropy(logits: logits, labels: sample.labels).loss))
      }
      grid.append(row)
    }
    for (parameter, value) in zip(model.parameters, center) { parameter.value = value }
    let middle = points / 2
    let centerLoss = grid[middle][middle]
    let lowest = grid.joined().min()!, highest = grid.joined().max()!
    page.number("landscape: loss at the trained weights", centerLoss, key: "landscape_center_loss")
    page.number("landscape: highest loss on the slice", highest, key: "landscape_highest_loss")
    let levels = (0..<12).map { lowest * pow(highest / max(lowest, 1e-9), (Double($0) + 0.5) / 12) }
    try page.figure("landscape.png", contourPlot(
      values: grid, xRange: -span...span, yRange: -span...span, levels: levels, marker: (0, 0),
      title: "trained LeNet-5: loss on a 2-D slice", xLabel: "step along direction 1",
      yLabel: "direction 2", width: 640, height: 520), caption: """
      The training loss on \(sample.count) images at θ* + a·d₁ + b·d₂, for a, b in [−1, 1] (each direction \
      as large as the weights it moves, unit by unit); the cross marks the trained weights θ*. Contour \
      levels are spaced geometrically from \(formatted(lowest, .fixed(3))) to \(formatted(highest, .fixed(2))).
      """)
    page.prose("""
      The trained weights sit \(centerLoss <= lowest + 1e-9 ? "at the lowest point of the slice" : "near, not at, the lowest point of the slice (the slice's lowest loss is \(formatted(lowest, .fixed(3))))"):
      loss \(formatted(centerLoss, .fixed(3))), rising to \(formatted(highest, .fixed(2))) at the edge of the slice. Real surfaces
      have millions of dimensions; a random slice shows only two of them, but it makes the "valley"
      of the toy surface above concrete.
      """)
  }

  // MARK: - Try this

  static var experiments: [Experiment<Knobs>] {
    [
      Experiment(
        edit: "In `Lessons/11-Optimizers.swift`, set `surfaceSGDRate` to 0.041 (just above 2/κ = 0.04).",
        prediction: """
          Plain SGD's zig-zag across the valley grows instead of shrinking: its path leaves the picture \
          and its loss on the surface after the 60 steps is larger than at the start.
          """,
        apply: { $0.surfaceSGDRate = 0.041 },
        holds: { metrics, _ in (metrics["surface_final_sgd"] ?? 0) > (metrics["surface_initial"] ?? .infinity) }),
      Experiment(
        edit: "Set `surfaceMomentum` to 0.5.",
        prediction: """
          The heavy ball loses most of its speed: momentum's path no longer passes the minimum \
          (0 crossings of x = 0), and after 60 steps its loss on the surface is higher than plain SGD's.
          """,
        apply: { $0.surfaceMomentum = 0.5 },
        holds: { metrics, _ in
          metrics["surface_momentum_overshoots"] == 0
            && (metrics["surface_final_momentum"] ?? 0) > (metrics["surface_final_sgd"] ?? .infinity)
        }),
      Experiment(
        edit: "Set `adaptiveRate` to 0.03 (30 times the default).",
        prediction: """
          RMSProp's huge first steps (it has no bias correction: its first step is about ±10η per weight) \
          wreck the network: its final loss stays above 2.0 (chance is ln 10 = 2.30) and the check that \
          RMSProp lowers the loss may fail, while SGD's numbers do not change.
          """,
        apply: { $0.adaptiveRate = 0.03 },
        holds: { metrics, _ in (metrics["race_final_loss_rmsprop"] ?? 0) > 2.0 }),
    ]
  }
}
