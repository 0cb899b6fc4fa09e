// Chapter 8: the first real CNN. LeNet-5 trained on MNIST with mini-batches and SGD with momentum;
// what it learned (filters, feature maps), how it errs (confusion matrix, misclassified digits),
// and a checkpoint that later chapters reload instead of training again.

import CNN
import Foundation

/// Chapter 8: a 61,706-parameter LeNet-5 learns to read digits to better than 98.5% accuracy.
public struct LeNet: Chapter {
  public static let number = 8
  public static let slug = "lenet"
  public static let title = "The first CNN on MNIST: LeNet-5"
  public init() {}

  /// The training recipe, measured: see the "calibration" note in `run`.
  static let batchSize = 64
  static let learningRate: Float = 0.05
  /// Each epoch's learning rate is the previous one times this (a step decay).
  static let learningRateDecay: Float = 0.3
  static let momentum: Float = 0.9
  static let fullEpochs = 3
  /// Quick mode: a slice of the data, two epochs.
  static let quickTrainCount = 5_000
  static let quickTestCount = 1_000
  static let quickEpochs = 2
  static let checkpointName = "lenet5.ckpt"

  public func run(_ page: Page) throws {
    page.prose("""
      Everything from chapters 1–7 comes together: convolutions to find strokes, ReLU, max pooling
      to shrink the maps, then dense layers to decide, trained end to end by backpropagation on
      mini-batches. LeNet-5 (LeCun et al., 1998, here with ReLU and max pooling):
      """)
    page.math(
      #"28^2 \xrightarrow{\text{conv }5\times5,\ 6,\ P=2} 6{\times}28^2 \xrightarrow{\text{ReLU, pool }2} 6{\times}14^2 \xrightarrow{\text{conv }5\times5,\ 16} 16{\times}10^2 \xrightarrow{\text{ReLU, pool }2} 16{\times}5^2 \to 120 \to 84 \to 10"#,
      #"v \leftarrow \mu v + \nabla_\theta L, \qquad \theta \leftarrow \theta - \eta_e\, v, \qquad \eta_e = \eta_0 \cdot \gamma^{e} \qquad (\text{SGD with momentum, PyTorch's form; step decay per epoch } e)"#)
    page.code("Sources/CNN/Models/LeNet.swift", "Sources/CNN/Layers/Conv2D.swift", "Sources/CNN/Layers/MaxPool2D.swift",
              "Sources/CNN/Training/Trainer.swift", "Sources/CNN/Training/MiniBatches.swift",
              "Sources/CNN/Optimizers/SGD.swift", "Sources/CNN/Checkpoint/Checkpoint.swift")

    // Step 2 overfits 100 training images; the gallery shows 20 test images.
    let fullTrain = try page.dataset(.train, atLeast: 100, for: "step 2 overfits 100 of them")
    let fullTest = try page.dataset(.test, atLeast: 20, for: "the gallery shows 20")
    let train = page.isQuick ? try fullTrain.subset(0..<min(Self.quickTrainCount, fullTrain.count)) : fullTrain
    let test = page.isQuick ? try fullTest.subset(0..<min(Self.quickTestCount, fullTest.count)) : fullTest

    // Step 1: the model, layer by layer.
    page.step("The model")
    var generator = page.generator(stream: 8)
    let model = try Models.leNet5(using: &generator)
    let shapes = try model.activations(train.images.slice(0..<1))
    page.table(headers: ["layer", "output shape", "parameters"], rows: zip(model.layers, shapes).map { layer, output in
      [layer.summary, "\(output.shape.dropFirst().map(String.init).joined(separator: "×"))", formatted(layer.parameterCount)]
    })
    page.number("parameters", model.parameterCount)
    page.prose("""
      \(formatted(model.parameterCount)) parameters, \(percent(Double(model.layers[7].parameterCount) / Double(model.parameterCount), digits: 0))
      of them in the first dense layer: the convolutions share each small kernel across every position,
      so they are cheap in parameters (but not in arithmetic).
      """)

    // Step 2: can it learn at all? Overfit 100 images.
    page.step("Sanity check: overfit 100 images")
    let tiny = try train.subset(0..<100)
    var tinyGenerator = page.generator(stream: 81)
    let tinyModel = try Models.leNet5(using: &tinyGenerator)
    let tinyTrainer = try Trainer(
      model: tinyModel, optimizer: try SGD(parameters: tinyModel.parameters, learningRate: 0.02, momentum: Self.momentum),
      batchSize: 20, seed: page.seed)
    var tinyEpochs = 0
    var tinyAccuracy: Float = 0
    var tinyLoss: Float = 0
    while tinyEpochs < 100 {
      tinyLoss = try tinyTrainer.trainEpoch(images: tiny.images, labels: tiny.labels, epoch: tinyEpochs).meanLoss
      tinyEpochs += 1
      tinyAccuracy = try tinyTrainer.evaluate(images: tiny.images, labels: tiny.labels)
      if tinyAccuracy == 1 && tinyEpochs >= 10 { break }
    }
    page.number("epochs to memorise 100 images", tinyEpochs, key: "overfit_epochs")
    page.number("accuracy on those 100 images", Double(tinyAccuracy), format: .percent(0), key: "overfit_accuracy")
    page.prose("""
      Before spending minutes on \(formatted(train.count)) images, spend a second on 100: a network with
      \(formatted(tinyModel.parameterCount)) parameters must be able to memorise them. It reaches \(percent(Double(tinyAccuracy), digits: 0)) after
      \(tinyEpochs) epochs (mean loss \(formatted(tinyLoss))). If this fails, there is a bug in the
      wiring, the gradients or the optimizer, and the big run would fail too, only more slowly.
      """)

    // Step 3: the same seed gives the same curve.
    page.step("Reproducibility: the same seed, the same curve")
    let curveA = try Self.shortCurve(train: train, seed: page.seed, stream: 82)
    let curveB = try Self.shortCurve(train: train, seed: page.seed, stream: 82)
    let identical = curveA.map(\.bitPattern) == curveB.map(\.bitPattern)
    page.number("losses compared bit for bit", curveA.count, key: "reproducibility_steps")
    page.prose("""
      Two fresh models built from the same seed, trained for \(curveA.count) steps on batches
      shuffled with the same seed, give loss curves that are \(identical ? "identical bit for bit" : "DIFFERENT")
      (first loss \(formatted(curveA[0])), last \(formatted(curveA.last!))). All randomness flows from
      `--seed` through value-type generators, and the threaded kernels split work so that every
      sum is added in a fixed order.
      """)

    // Step 4: train.
    page.step("Training")
    let epochs = page.isQuick ? Self.quickEpochs : Self.fullEpochs
    let result = try Self.train(model, train: train, test: test, epochs: epochs, page: page)
    let testAccuracy = Double(result.testAccuracies.last ?? 0)
    page.number("training images", train.count, key: "train_count")
    page.number("epochs", epochs)
    page.number("training time", result.seconds, format: .seconds, key: "training_seconds")
    page.number("images per second", Double(train.count * epochs) / result.seconds, format: .fixed(0), key: "images_per_second")
    page.number("test accuracy", testAccuracy, format: .percent(2), key: "test_accuracy")
    page.table(headers: ["epoch", "learning rate", "mean training loss", "training accuracy (during the epoch)", "test accuracy"],
               rows: (0..<epochs).map { e in
                 ["\(e + 1)", formatted(Self.learningRate * pow(Self.learningRateDecay, Float(e)), .fixed(4)),
                  formatted(result.epochLosses[e], .fixed(4)), percent(Double(result.trainAccuracies[e])),
                  percent(Double(result.testAccuracies[e]))]
               })
    // NOTE (calibration, measured): batch 64, momentum 0.9 and a constant learning rate of 0.05
    // gave 98.22%, 98.36%, 97.89% after epochs 1-3: the steps stay too large to settle. Dividing
    // the rate by ~3 each epoch (0.05, 0.015, 0.0045) lets the last epochs fine-tune. With the
    // independent streams of SeededGenerator(seed:stream:), after epochs 1-3: seed 42 97.98%,
    // 98.74%, 98.89%; seed 7 98.21%, 98.85%, 99.08%; seed 1234 97.69%, 98.75%, 98.99%; seed 0
    // 97.97%, 98.82%, 99.02%. Three epochs clear the 98.5% check by 0.4-0.6 points.
    page.prose("""
      \(epochs) epoch\(epochs == 1 ? "" : "s") over \(formatted(train.count)) images in batches of \(Self.batchSize), learning rate
      \(formatted(Self.learningRate)) divided by \(formatted(1 / Self.learningRateDecay, .fixed(2))) after each epoch, momentum \(formatted(Self.momentum)): \(formatted(result.seconds, .seconds)),
      \(formatted(Double(train.count * epochs) / result.seconds, .fixed(0))) images per second. Test accuracy:
      **\(percent(testAccuracy))** on \(formatted(test.count)) images the network never trained on.
      """)
    try page.figure("curves.png", Figures.trainingCurves(
      batchLosses: result.batchLosses, batchesPerEpoch: result.batchesPerEpoch,
      testAccuracies: result.testAccuracies.map(Double.init)), caption: """
      Left: the training loss of every batch (light) and its running mean (dark); it drops fast in \
      the first few hundred batches, then slowly; the small steps down at epochs 1 and 2 are the \
      learning-rate decay. Right: test accuracy after each epoch.
      """)

    // Step 5: where it errs.
    page.step("The confusion matrix")
    let logits = try Trainer.predict(model, images: test.images)
    let probabilities = softmax(logits)
    let predictions = logits.argmaxRows()
    var confusion = try ConfusionMatrix(classCount: test.classNames.count)
    try confusion.add(predictions: predictions, labels: test.labels)
    let worstPairs = confusion.mostConfused(3)
    page.table(headers: ["true", "predicted", "count"],
               rows: worstPairs.map { [test.classNames[$0.truth], test.classNames[$0.prediction], "\($0.count)"] })
    page.number("misclassified test images", predictions.indices.filter { predictions[$0] != test.labels[$0] }.count,
                key: "misclassified")
    try page.figure("confusion.png", Figures.confusion(confusion, classNames: test.classNames), caption: """
      The confusion matrix on the test set: row = true digit, column = prediction, each cell \
      annotated with its count. The colours span the off-diagonal counts (the mistakes), so \
      diagonal cells saturate and every mistake shows. Nearly everything sits on the diagonal; the \
      largest off-diagonal cells name the digit pairs that look alike (see the table above).
      """)

    // Step 6: what the first layer learned.
    page.step("The learned filters")
    let conv1 = model.layers[0].parameters[0].value  // (6, 1, 5, 5)
    try page.figure("conv1-filters.png", Figures.panels(
      (0..<conv1.shape[0]).map { ("filter \($0)", conv1.plane($0, 0)) }, signed: true, scale: 24), caption: """
      The six 5x5 filters of conv1 after training (red positive, blue negative, each on its own \
      symmetric scale, enlarged). Look for oriented edge and stroke detectors: a red band next \
      to a blue band responds to a stroke edge at that angle.
      """)

    // Step 7: feature maps of every layer for one digit.
    page.step("Feature maps of every layer for one digit")
    let sample = test.images.slice(0..<1)
    let activations = try model.activations(sample)
    try page.figure("feature-maps.png", Figures.featureMaps(
      input: sample.plane(0, 0), layers: zip(model.layers, activations).map { ($0.summary, $1) },
      classNames: test.classNames), caption: """
      One test digit (a \(test.classNames[test.labels[0]])) through every layer: conv1's six maps \
      (signed), after ReLU (negatives gone), after pooling (half size), conv2's sixteen maps, \
      then the dense layers as strips of values and the ten logits at the bottom, where the \
      largest wins.
      """)

    // Step 8: predictions with probabilities, and the mistakes.
    page.step("Predictions and mistakes")
    let galleryCount = 20
    try page.figure("predictions.png", Figures.digitGrid(
      (0..<galleryCount).map { test.image($0) },
      labels: (0..<galleryCount).map { i in
        "\(test.classNames[predictions[i]]) \(Int((probabilities[i, predictions[i]] * 100).rounded()))%"
      }, columns: 10, scale: 3), caption: """
      The first \(galleryCount) test digits with the network's answer and its softmax probability. \
      Almost every answer comes with a probability near 100%.
      """)
    let mistakes = Array(predictions.indices.filter { predictions[$0] != test.labels[$0] }.prefix(30))
    if !mistakes.isEmpty {
      try page.figure("misclassified.png", Figures.digitGrid(
        mistakes.map { test.image($0) },
        labels: mistakes.map { i in
          "\(test.classNames[test.labels[i]])→\(test.classNames[predictions[i]]) \(Int((probabilities[i, predictions[i]] * 100).rounded()))%"
        }, columns: 10, scale: 3), caption: """
        Test digits the network got wrong, labelled true → predicted with the predicted \
        probability. Many are hard even for a person (cut strokes, unusual slants); the errors \
        with low probability are where the network itself was unsure.
        """)
    }

    // Step 9: save the checkpoint and reload it.
    page.step("A checkpoint for later chapters")
    let checkpointPath = (page.directory as NSString).appendingPathComponent(Self.checkpointName)
    try Checkpoint.save(model, to: checkpointPath, metadata: try Self.checkpointMetadata(for: page))
    var reloadGenerator = page.generator(stream: 99)
    let reloaded = try Models.leNet5(using: &reloadGenerator)
    try Checkpoint.load(into: reloaded, from: checkpointPath)
    let reloadedLogits = try Trainer.predict(reloaded, images: test.images.slice(0..<min(500, test.count)))
    let sameLogits = reloadedLogits == logits.slice(0..<min(500, test.count))
    let checkpointBytes = (try? FileManager.default.attributesOfItem(atPath: checkpointPath)[.size] as? Int) ?? 0
    page.number("checkpoint size (bytes)", checkpointBytes, key: "checkpoint_bytes")
    page.prose("""
      The weights are saved to `\(Self.checkpointName)` in this chapter's folder (\(formatted(checkpointBytes)) bytes:
      a header with the architecture, seed, recipe and data it came from, names and shapes, the Float32
      values, a checksum). A fresh model loaded from it gives \(sameLogits ? "bit-identical" : "DIFFERENT") logits.
      Later chapters that need a trained LeNet load this file when its header matches their run
      (same architecture, seed, recipe and data), and train one otherwise.
      """)

    // Checks.
    page.check("overfits 100 images to 100%", Double(tinyAccuracy), atLeast: 1)
    if page.isQuick {
      // Quick mode trains two epochs on 5,000 images: good, not great. NOTE (calibration,
      // measured): seeds 0–99 scored 89.8% (seed 66) to 96.7% on the first 1,000 test images;
      // 0.85 keeps a margin of about five points below the worst seed.
      page.check("test accuracy (quick: 2 epochs on 5,000 images)", testAccuracy, atLeast: 0.85)
    } else {
      page.check("test accuracy", testAccuracy, atLeast: 0.985)
    }
    page.check("the same seed gives the same curve, bit for bit", identical)
    page.check("a reloaded checkpoint gives the same logits", sameLogits)

    page.tryThis("""
      In `Lessons/08-LeNet.swift`, set `momentum` to 0 and rerun `cnn-lessons run 8`. Plain SGD at \
      the same learning rate learns visibly slower: the loss curve stays higher and the test \
      accuracy after \(Self.fullEpochs) epochs drops by about a point, failing the 98.5% check.
      """)
    page.tryThis("""
      Set `learningRate` to 0.5: the loss jumps to NaN within the first epoch and the trainer stops \
      with a one-line "training diverged" error. Then try `--seed 7`: a different start, a \
      slightly different accuracy, and again the same curve on every rerun.
      """)
  }

  // MARK: - Training

  struct TrainingResult {
    var batchLosses: [Float] = []
    var batchesPerEpoch = 0
    var epochLosses: [Float] = []
    var trainAccuracies: [Float] = []
    var testAccuracies: [Float] = []
    var seconds: Double = 0
  }

  /// Trains `model` for `epochs`, evaluating on `test` after each, with a progress bar.
  static func train(_ model: Sequential, train: Dataset, test: Dataset, epochs: Int, page: Page) throws -> TrainingResult {
    let optimizer = try SGD(parameters: model.parameters, learningRate: learningRate, momentum: momentum)
    let trainer = try Trainer(model: model, optimizer: optimizer, batchSize: batchSize, seed: page.seed)
    var result = TrainingResult()
    let start = ContinuousClock.now
    for epoch in 0..<epochs {
      optimizer.learningRate = learningRate * pow(learningRateDecay, Float(epoch))
      let progress = page.progress("epoch \(epoch + 1)/\(epochs)", total: train.count, unit: "images")
      var runningLoss: Float = 0
      let epochResult = try trainer.trainEpoch(images: train.images, labels: train.labels, epoch: epoch) { index, count, loss in
        runningLoss = index == 0 ? loss : 0.98 * runningLoss + 0.02 * loss
        progress.advance(by: index == count - 1 ? train.count - index * batchSize : batchSize,
                         status: "loss \(formatted(runningLoss, .fixed(3)))")
      }
      let testAccuracy = try trainer.evaluate(images: test.images, labels: test.labels)
      progress.finish(status: "loss \(formatted(epochResult.meanLoss, .fixed(4))), test accuracy \(percent(Double(testAccuracy)))")
      result.batchLosses += epochResult.losses
      result.batchesPerEpoch = epochResult.losses.count
      result.epochLosses.append(epochResult.meanLoss)
      result.trainAccuracies.append(epochResult.trainingAccuracy)
      result.testAccuracies.append(testAccuracy)
      // What the losses say went wrong (exploding, stuck at chance): one line on the page and the
      // console. A healthy run prints nothing here.
      if let finding = epochResult.finding {
        page.prose("> **Training finding:** \(finding)")
        page.console.line("    finding: \(finding)")
      }
    }
    let elapsed = ContinuousClock.now - start
    result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return result
  }

  /// The losses of a fresh model trained for a few steps: run twice to test reproducibility.
  static func shortCurve(train: Dataset, seed: UInt64, stream: UInt64) throws -> [Float] {
    var generator = SeededGenerator(seed: seed, stream: stream)
    let model = try Models.leNet5(using: &generator)
    let trainer = try Trainer(
      model: model, optimizer: try SGD(parameters: model.parameters, learningRate: learningRate, momentum: momentum),
      batchSize: batchSize, seed: seed)
    let subset = try train.subset(0..<min(20 * batchSize, train.count))
    return try trainer.trainEpoch(images: subset.images, labels: subset.labels, epoch: 0).losses
  }

  // MARK: - For later chapters

  /// What this chapter writes into its checkpoint's header, and what a later chapter requires of
  /// it: the architecture (every layer with its shape), the seed, the training recipe and the
  /// data. Change any of them (a different `--seed`, a quick run, another learning rate) and a
  /// later chapter retrains instead of reusing weights that came from elsewhere.
  static func checkpointMetadata(for page: Page) throws -> [String: String] {
    var generator = page.generator(stream: 8)
    let architecture = "LeNet-5: " + (try Models.leNet5(using: &generator)).summary
    let epochs = page.isQuick ? quickEpochs : fullEpochs
    let images = page.isQuick ? "the first \(quickTrainCount) training images" : "all training images"
    return [
      "architecture": architecture,
      "seed": "\(page.seed)",
      "recipe": "chapter \(number): \(epochs) epochs on \(images), batch \(batchSize), SGD learning rate "
        + "\(learningRate) times \(learningRateDecay) per epoch, momentum \(momentum), initial weights from stream 8",
      "data": "\(page.dataSource)",
    ]
  }

  /// Whether the checkpoint at `path` may stand in for training: decided from the file's own
  /// header (metadata and tensor shapes), never from the output index or the file's name.
  enum CheckpointDecision: Equatable {
    case load
    case retrain(reason: String)
  }

  static func decision(forCheckpointAt path: String, expecting metadata: [String: String], model: Layer)
    -> CheckpointDecision
  {
    guard FileManager.default.fileExists(atPath: path) else { return .retrain(reason: "there is no \(path)") }
    let header: Checkpoint.Header
    do { header = try Checkpoint.header(at: path) } catch { return .retrain(reason: "\(error)") }
    for key in metadata.keys.sorted() where header.metadata[key] != metadata[key] {
      let found = header.metadata[key].map { "'\($0)'" } ?? "nothing"
      return .retrain(reason: "its header records \(key) \(found), this run needs '\(metadata[key]!)'")
    }
    let wanted = (model.parameters + model.buffers).map { Checkpoint.Header.Tensor(name: $0.name, shape: $0.value.shape) }
    guard header.tensors == wanted else { return .retrain(reason: "its tensors' names or shapes differ from the model's") }
    return .load
  }

  /// A trained LeNet-5 and where it came from.
  struct TrainedModel {
    let model: Sequential
    let path: String
    let decision: CheckpointDecision
  }

  /// A LeNet-5 trained as in this chapter: loaded from `DIR/08-lenet/lenet5.ckpt` when that
  /// file's header says it holds this architecture trained with this seed, recipe and data
  /// (`decision(forCheckpointAt:expecting:model:)`); trained here, and saved there, otherwise.
  static func trainedModel(for page: Page) throws -> TrainedModel {
    let folder = (page.options.outputDirectory as NSString).appendingPathComponent(Page.folderName(number: number, slug: slug))
    let path = (folder as NSString).appendingPathComponent(checkpointName)
    var generator = page.generator(stream: 8)
    let model = try Models.leNet5(using: &generator)
    let metadata = try checkpointMetadata(for: page)
    var decision = decision(forCheckpointAt: path, expecting: metadata, model: model)
    if decision == .load {
      do {
        try Checkpoint.load(into: model, from: path)
        page.console.line("    loaded the trained LeNet-5 from \(path)")
        return TrainedModel(model: model, path: path, decision: .load)
      } catch {
        decision = .retrain(reason: "\(error)")
      }
    }
    if case .retrain(let reason) = decision {
      page.console.line("    not reusing \(path): \(reason); training LeNet-5 as chapter \(number) does")
    }
    var train = try page.dataset(.train)
    var test = try page.dataset(.test)
    if page.isQuick {
      train = try train.subset(0..<min(quickTrainCount, train.count))
      test = try test.subset(0..<min(quickTestCount, test.count))
    }
    generator = page.generator(stream: 8)
    let fresh = try Models.leNet5(using: &generator)
    _ = try Self.train(fresh, train: train, test: test, epochs: page.isQuick ? quickEpochs : fullEpochs, page: page)
    try createDirectory(folder)
    try Checkpoint.save(fresh, to: path, metadata: metadata)
    return TrainedModel(model: fresh, path: path, decision: decision)
  }
}
