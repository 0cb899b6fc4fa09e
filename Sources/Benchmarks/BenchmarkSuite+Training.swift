// The training and inference workloads: LeNet-5 for one epoch of MNIST (images/s, test accuracy,
// peak memory), the modern network over fixed batches, and inference over the test set.

import CNN

extension BenchmarkSuite {
  /// Trains `batches` in order, timing `chunks` consecutive groups of batches; each chunk's
  /// images per second is one sample, so one epoch yields best and median without training
  /// three epochs. Batch assembly (`gather`) is timed too, as PyTorch's indexing is.
  private func train(
    _ trainer: Trainer, on data: Dataset, batches: [[Int]], chunks: Int
  ) throws -> (rates: Figure, overall: Double) {
    let chunkCount = max(1, min(chunks, batches.count))
    var rates: [Double] = []
    var totalImages = 0
    var totalSeconds = 0.0
    for chunk in 0..<chunkCount {
      let range = (chunk * batches.count / chunkCount)..<((chunk + 1) * batches.count / chunkCount)
      var images = 0
      let seconds = try Benchmark.time {
        for batch in batches[range] {
          let labels = batch.map { data.labels[$0] }
          let (loss, _) = try trainer.step(images: try gather(images: data.images, indices: batch), labels: labels)
          guard loss.isFinite else { throw CNNError("benchmark training diverged: loss \(loss)") }
          images += batch.count
        }
      }
      rates.append(Double(images) / seconds)
      totalImages += images
      totalSeconds += seconds
    }
    // A rate's best is its largest sample; Measurement works in times, so sort the rates here.
    let sorted = rates.sorted()
    let middle = sorted.count / 2
    let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    return (Figure(best: sorted.last!, median: median), Double(totalImages) / totalSeconds)
  }

  private func trainer(for model: Layer) throws -> Trainer {
    let optimizer = try SGD(parameters: model.parameters, learningRate: options.learningRate, momentum: options.momentum)
    return try Trainer(model: model, optimizer: optimizer, batchSize: options.batchSize, seed: options.seed)
  }

  // MARK: - LeNet-5

  func runLeNet() throws {
    let data = try training()
    let testData = try test()
    var generator = SeededGenerator(seed: options.seed)
    let model = try Models.leNet5(using: &generator)
    let trainer = try trainer(for: model)
    var batches = try MiniBatches(count: data.count, batchSize: options.batchSize, seed: options.seed).batches(epoch: 0)
    if let limit = options.lenetBatches { batches = Array(batches.prefix(limit)) }
    log("lenet: LeNet-5, batch \(options.batchSize), SGD lr \(options.learningRate) momentum \(options.momentum), "
        + "\(batches.count) batches" + (options.lenetBatches == nil ? " (one epoch)" : ""))
    let (rates, overall) = try train(trainer, on: data, batches: batches, chunks: options.repetitions)
    record("lenet.train.images_per_s", rates)
    record("lenet.train.epoch_images_per_s", value: overall)
    record("lenet.batches", value: Double(batches.count))
    record("lenet.test_accuracy", value: Double(try trainer.evaluate(images: testData.images, labels: testData.labels)))
    if options.recordsPeakMemory, let peak = PeakMemory.residentHighWaterMark() {
      record("lenet.peak_rss_mb", value: peak)
    }
  }

  // MARK: - Modern network

  func runModern() throws {
    let data = try training()
    var generator = SeededGenerator(seed: options.seed)
    let model = try Models.modernConvNet(using: &generator)
    let trainer = try trainer(for: model)
    let epoch = try MiniBatches(count: data.count, batchSize: options.batchSize, seed: options.seed).batches(epoch: 0)
    var batches = epoch
    if !options.fullEpoch {
      // A few untimed batches first: the first passes allocate workspaces and fault in pages.
      for batch in epoch.prefix(options.warmupBatches) {
        try trainer.step(images: try gather(images: data.images, indices: batch), labels: batch.map { data.labels[$0] })
      }
      let timed = options.modernBatchesPerRepetition * options.repetitions
      batches = Array(epoch.dropFirst(options.warmupBatches).prefix(timed))
    }
    log("modern: 4 conv + BN, 2 dense, batch \(options.batchSize), \(batches.count) timed batches"
        + (options.fullEpoch ? " (one epoch)" : " after \(options.warmupBatches) warm-up"))
    let (rates, overall) = try train(trainer, on: data, batches: batches, chunks: options.repetitions)
    record("modern.train.images_per_s", rates)
    record("modern.batches", value: Double(batches.count))
    if options.fullEpoch {
      record("modern.train.epoch_images_per_s", value: overall)
      let testData = try test()
      record("modern.test_accuracy", value: Double(try trainer.evaluate(images: testData.images, labels: testData.labels)))
    }
  }

  // MARK: - Inference

  /// Both networks, freshly initialised (weights do not change the speed), over the test images
  /// at batch `inferenceBatchSize`, in inference mode (batch norm's running statistics, no dropout).
  func runInference() throws {
    let testData = try test()
    let images = Double(testData.count)
    log("inference: \(testData.count) test images at batch \(options.inferenceBatchSize)")
    var generator = SeededGenerator(seed: options.seed)
    let networks: [(String, Layer)] = [
      ("lenet", try Models.leNet5(using: &generator)), ("modern", try Models.modernConvNet(using: &generator)),
    ]
    for (name, model) in networks {
      // Warm-up: one batch (workspaces, page faults), not a whole pass over the test set.
      _ = try model.forward(testData.images.slice(0..<min(options.inferenceBatchSize, testData.count)), mode: .inference)
      let measurement = try Benchmark(repetitions: options.repetitions, warmups: 0).measure {
        _ = try Trainer.predict(model, images: testData.images, batchSize: options.inferenceBatchSize)
      }
      record("inference.\(name).images_per_s", measurement.rate(work: images))
    }
  }
}
