// Chapter 11's "Try this" experiments (Lessons/Experiment.swift) are applied here, one test case
// each, in quick mode, and each predicted effect asserted. Also: a later chapter reuses chapter
// 8's checkpoint exactly when the checkpoint's own header matches its run.

import CNN
import Foundation
import Testing

@testable import Lessons

/// Runs experiment `index` of chapter type `C` in quick mode into `folder`; returns the prediction,
/// whether it held, and the metrics (for the failure message).
func runSingleExperiment<C: ExperimentChapter>(_ type: C.Type, index: Int, folder: String, cache: RunCache)
  throws -> (prediction: String, holds: Bool, metrics: [String: Double])
{
  let experiment = C.experiments[index]
  var knobs = C.defaultKnobs
  experiment.apply(&knobs)
  let options = RunOptions(outputDirectory: folder, isQuick: true, isQuiet: true)
  let page = try Page(number: C.number, slug: C.slug, title: C.title, options: options, cache: cache)
  try C(knobs: knobs).run(page)
  return (experiment.text, experiment.holds(page.metricValues, page.failedCheckNames), page.metricValues)
}

@Suite("Try this in chapter 11: every experiment keeps its promise", .serialized)
struct OptimizersExperimentTests {
  static let cache = RunCache()

  @Test("each of chapter 11's experiments has the effect its page predicts (quick mode)",
        arguments: Optimizers.experiments.indices)
  func experiment(_ index: Int) throws {
    let folder = try temporaryFolder("experiment-11-\(index)")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.placeLeNetCheckpoint(in: folder)
    let outcome = try runSingleExperiment(Optimizers.self, index: index, folder: folder, cache: Self.cache)
    #expect(outcome.holds, "chapter 11 experiment \(index) did not do what it says: \(outcome.prediction)\nmeasured: \(outcome.metrics.sorted { $0.key < $1.key })")
  }

  /// A LeNet-5 checkpoint whose header matches a quick run with the default seed, so experiments
  /// that need chapter 8's model do not train it again (its weights are the untrained ones:
  /// what matters here is that the header decides).
  static func placeLeNetCheckpoint(in folder: String) throws {
    let page = try Page(number: LeNet.number, slug: LeNet.slug, title: LeNet.title,
                        options: RunOptions(outputDirectory: folder, isQuick: true, isQuiet: true))
    var generator = page.generator(stream: 8)
    try Checkpoint.save(try Models.leNet5(using: &generator), to: page.directory + "/" + LeNet.checkpointName,
                        metadata: try LeNet.checkpointMetadata(for: page))
  }
}

@Suite("Reusing chapter 8's checkpoint")
struct CheckpointReuseTests {
  func page(seed: UInt64 = RunOptions.defaultSeed, quick: Bool = true, folder: String) throws -> Page {
    try Page(number: 11, slug: "scratch", title: "Scratch",
             options: RunOptions(outputDirectory: folder, isQuick: quick, seed: seed, isQuiet: true))
  }

  @Test("the decision is read from the checkpoint's header: architecture, seed, recipe, data, shapes")
  func decision() throws {
    let folder = try temporaryFolder("reuse")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/lenet5.ckpt"
    let page = try page(folder: folder)
    var generator = page.generator(stream: 8)
    let model = try Models.leNet5(using: &generator)
    let wanted = try LeNet.checkpointMetadata(for: page)
    #expect(wanted["seed"] == "42" && wanted["architecture"]?.contains("Conv2D") == true)

    guard case .retrain(let missing) = LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) else {
      Issue.record("a missing checkpoint was accepted"); return
    }
    #expect(missing.contains("no "))

    try Checkpoint.save(model, to: path, metadata: wanted)
    #expect(LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) == .load)

    // Another seed, a full-run recipe, no metadata at all: each is refused, naming the difference.
    try Checkpoint.save(model, to: path, metadata: try LeNet.checkpointMetadata(for: try self.page(seed: 7, folder: folder)))
    guard case .retrain(let seedReason) = LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) else {
      Issue.record("a checkpoint from seed 7 was accepted for seed 42"); return
    }
    #expect(seedReason.contains("seed") && seedReason.contains("'7'"))
    try Checkpoint.save(model, to: path, metadata: try LeNet.checkpointMetadata(for: try self.page(quick: false, folder: folder)))
    #expect(LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) != .load)
    try Checkpoint.save(model, to: path)
    #expect(LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) != .load)

    // Matching metadata but a different architecture's tensors.
    var other = SeededGenerator(seed: 1)
    try Checkpoint.save(Sequential(try Dense(inputSize: 4, outputSize: 2, using: &other)), to: path, metadata: wanted)
    #expect(LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) != .load)
    // A corrupt file.
    _ = FileManager.default.createFile(atPath: path, contents: Data("not a checkpoint".utf8))
    #expect(LeNet.decision(forCheckpointAt: path, expecting: wanted, model: model) != .load)
  }

  @Test("trainedModel loads a checkpoint whose header matches, weights bit for bit")
  func loadsMatching() throws {
    let folder = try temporaryFolder("reuse-load")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try OptimizersExperimentTests.placeLeNetCheckpoint(in: folder)
    let page = try page(folder: folder)
    let trained = try LeNet.trainedModel(for: page)
    #expect(trained.decision == .load)
    var generator = page.generator(stream: 8)
    let expected = try Models.leNet5(using: &generator)
    #expect(trained.model.parameters.map(\.value) == expected.parameters.map(\.value))
  }
}
