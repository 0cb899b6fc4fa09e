// The benchmark's plumbing on tiny sizes: statistics of the samples, the JSON keys and their round
// trip, the comparison ratios, the /proc parser, and every workload running end to end.
// No assertion is about how fast anything is.

import Foundation
import Testing
import CNN
@testable import Benchmarks

@Test("best is the smallest sample and median the middle one")
func measurementStatistics() {
  let odd = Measurement(samples: [0.3, 0.1, 0.2])
  #expect(odd.best == 0.1)
  #expect(odd.median == 0.2)
  let even = Measurement(samples: [4, 1, 3, 2])
  #expect(even.best == 1)
  #expect(even.median == 2.5)
  // Rates invert: the best rate comes from the best (shortest) time.
  let rate = even.rate(work: 10)
  #expect(rate.best == 10)
  #expect(rate.median == 4)
  #expect(odd.milliseconds == Figure(best: 100, median: 200))
}

@Test("measure runs the warm-ups untimed and keeps one sample per repetition, best ≤ median")
func benchmarkMeasureCounts() {
  var calls = 0
  var sink: Float = 0
  let measurement = Benchmark(repetitions: 4, warmups: 2).measure {
    calls += 1
    for i in 0..<1000 { sink += Float(i) }
  }
  #expect(calls == 6)
  #expect(measurement.samples.count == 4)
  #expect(measurement.samples.allSatisfy { $0 >= 0 })
  #expect(measurement.best <= measurement.median)
  #expect(sink > 0)
}

@Test("results round-trip through the JSON file with stable keys")
func resultsJSONRoundTrip() throws {
  var results = BenchmarkResults()
  results.record("gemm.1024.t2.gflops", Figure(best: 180.5, median: 170.25))
  results.record("conv.b.fwdbwd.ms", Figure(best: 12.5, median: 13))
  results.record("lenet.peak_rss_mb", value: 61.5)
  results.meta["cpu"] = "test CPU"
  #expect(results.figureNames == ["gemm.1024.t2.gflops", "conv.b.fwdbwd.ms", "lenet.peak_rss_mb"])

  let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
  defer { try? FileManager.default.removeItem(atPath: path) }
  try results.write(to: path)
  let object = try #require(
    JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
  #expect(Set(object.keys) == [
    "gemm.1024.t2.gflops.best", "gemm.1024.t2.gflops.median", "conv.b.fwdbwd.ms.best",
    "conv.b.fwdbwd.ms.median", "lenet.peak_rss_mb", "meta.cpu",
  ])
  let read = try BenchmarkResults.read(from: path)
  #expect(read.values == results.values)
  #expect(read.meta == results.meta)
  #expect(read.figure("conv.b.fwdbwd.ms") == Figure(best: 12.5, median: 13))
  #expect(read.figure("lenet.peak_rss_mb") == Figure(best: 61.5, median: 61.5))
  // No temporary file is left beside the result.
  let folder = (path as NSString).deletingLastPathComponent
  let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
    .filter { $0.hasPrefix(".\((path as NSString).lastPathComponent)") }
  #expect(leftovers.isEmpty)
}

@Test("reading a bad results file is a one-line error")
func resultsReadErrors() throws {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
  defer { try? FileManager.default.removeItem(atPath: path) }
  #expect(throws: CNNError.self) { try BenchmarkResults.read(from: path) }
  try Data(#"{"conv.a.fwd.ms.best": "fast"}"#.utf8).write(to: URL(fileURLWithPath: path))
  #expect(throws: CNNError.self) { try BenchmarkResults.read(from: path) }
  try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: path))
  #expect(throws: CNNError.self) { try BenchmarkResults.read(from: path) }
}

@Test("comparison ratios: speed > 1 means we are faster, memory is ours / theirs")
func comparisonRatios() {
  #expect(FigureKind(key: "conv.a.fwdbwd.ms") == .time)
  #expect(FigureKind(key: "gemm.1024.t2.gflops") == .rate)
  #expect(FigureKind(key: "lenet.train.images_per_s") == .rate)
  #expect(FigureKind(key: "lenet.train.epoch_images_per_s") == .rate)
  #expect(FigureKind(key: "lenet.peak_rss_mb") == .memory)
  #expect(FigureKind(key: "lenet.test_accuracy") == .other)
  #expect(FigureKind.time.ratio(ours: 10, theirs: 20) == 2)
  #expect(FigureKind.rate.ratio(ours: 90, theirs: 100) == 0.9)
  #expect(FigureKind.memory.ratio(ours: 50, theirs: 200) == 0.25)
  #expect(FigureKind.other.ratio(ours: 0.9, theirs: 0.95) == nil)

  var ours = BenchmarkResults()
  ours.record("gemm.1024.t2.gflops", Figure(best: 180, median: 160))
  ours.record("conv.z.fwd.ms", Figure(best: 1, median: 2))  // not in the reference: no row
  var reference = BenchmarkResults()
  reference.record("gemm.1024.t2.gflops", Figure(best: 90, median: 80))
  reference.record(BenchmarkResults.numpyPrefix + "gemm.1024.t2.gflops", Figure(best: 200, median: 200))
  let rows = ours.comparisonRows(with: reference)
  #expect(rows.map(\.first) == ["gemm.1024.t2.gflops", "gemm.1024.t2.gflops vs numpy"])
  #expect(rows[0][3] == "2.00x")
  #expect(rows[1][3] == "0.90x")
  #expect(rows[1][6] == "0.80x")
}

@Test("VmHWM is parsed from /proc status text, tabs and all")
func peakMemoryParsing() {
  let status = "Name:\tcnn\nVmPeak:\t  300000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n"
  #expect(PeakMemory.kibibytes(field: "VmHWM", in: status) == 123456)
  #expect(PeakMemory.kibibytes(field: "VmSwap", in: status) == nil)
  #if os(Linux)
  let peak = PeakMemory.residentHighWaterMark()
  #expect(peak != nil && peak! > 1)
  #endif
}

@Test("every workload runs end to end on tiny sizes and records its keys")
func tinySuiteRecordsKeys() throws {
  var options = BenchmarkOptions()
  options.repetitions = 3
  options.gemmSizes = [24]
  options.convolutionShapes = [
    ConvolutionShape(name: "b", batch: 2, inChannels: 3, outChannels: 4, size: 8, kernelSize: 3, padding: 1),
    ConvolutionShape(name: "d", batch: 2, inChannels: 2, outChannels: 3, size: 7, kernelSize: 5, padding: 0),
  ]
  options.trainingImages = 96
  options.lenetBatches = 3
  options.batchSize = 16
  options.modernBatchesPerRepetition = 1
  options.warmupBatches = 1
  options.inferenceImages = 40
  options.inferenceBatchSize = 20
  options.recordsPeakMemory = true
  let suite = BenchmarkSuite(options: options, log: { _ in })
  for workload in BenchmarkWorkload.allCases { try suite.run(workload) }
  let results = suite.results

  for key in [
    "gemm.24.t1.gflops", "gemm.24.t2.gflops", "conv.b.fwd.ms", "conv.b.fwdbwd.ms", "conv.b.im2col.fwdbwd.ms",
    "conv.d.fwdbwd.ms", "pool.b.fwd.ms", "pool.b.fwdbwd.ms", "lenet.train.images_per_s",
    "modern.train.images_per_s", "inference.lenet.images_per_s", "inference.modern.images_per_s",
  ] {
    let figure = try #require(results.figure(key), "missing \(key)")
    #expect(figure.best > 0 && figure.median > 0, "\(key)")
    // Best is the fastest run: the smallest time, or the largest rate.
    if FigureKind(key: key) == .time { #expect(figure.best <= figure.median, "\(key)") }
    else { #expect(figure.best >= figure.median, "\(key)") }
  }
  #expect(results.values["lenet.batches"] == 3)
  #expect(results.values["modern.batches"] == 3)
  let accuracy = try #require(results.values["lenet.test_accuracy"])
  #expect(accuracy >= 0 && accuracy <= 1)
  #expect((results.values["lenet.peak_rss_mb"] ?? 0) > 0)
  #expect(results.meta["conv.b.algorithm"] != nil)
  #expect(results.table().contains("conv.b.fwdbwd.ms"))
}
