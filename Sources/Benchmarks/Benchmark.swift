// The timing core of `cnn-lessons bench`: run a closure a few times after a warm-up on a monotonic
// clock and keep every sample, so that each figure is reported as its best and its median.

import Dispatch
import CNN

/// The wall-clock times of repeated runs of one piece of work, in seconds.
public struct Measurement: Sendable, Equatable {
  /// One duration per repetition, in the order they ran.
  public let samples: [Double]

  public init(samples: [Double]) {
    guard !samples.isEmpty else { fatalError("Measurement needs at least one sample") }
    self.samples = samples
  }

  /// The shortest time: the run least disturbed by the rest of the machine.
  public var best: Double { samples.min()! }

  /// The middle time (the mean of the two middle ones for an even count): robust to outliers.
  public var median: Double {
    let sorted = samples.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }

  /// Best and median in milliseconds (lower is better).
  public var milliseconds: Figure { Figure(best: best * 1e3, median: median * 1e3) }

  /// Best and median rates for `work` units done per run (higher is better): the best rate comes
  /// from the shortest time.
  public func rate(work: Double) -> Figure { Figure(best: work / best, median: work / median) }
}

/// A reported number: its best and its median over the repetitions.
public struct Figure: Sendable, Equatable {
  public let best: Double
  public let median: Double
  public init(best: Double, median: Double) {
    self.best = best
    self.median = median
  }
}

/// Times closures: `warmups` untimed runs (caches, page faults, lazily built workspaces), then
/// `repetitions` timed ones on the monotonic clock (`DispatchTime`, CLOCK_MONOTONIC on Linux,
/// which never jumps with the wall clock).
public struct Benchmark: Sendable {
  public let repetitions: Int
  public let warmups: Int

  public init(repetitions: Int = 5, warmups: Int = 1) {
    guard repetitions >= 1 && warmups >= 0 else { fatalError("Benchmark needs repetitions ≥ 1 and warmups ≥ 0") }
    self.repetitions = repetitions
    self.warmups = warmups
  }

  /// Runs `body` `warmups + repetitions` times and returns the timed samples.
  public func measure(_ body: () throws -> Void) rethrows -> Measurement {
    for _ in 0..<warmups { try body() }
    var samples: [Double] = []
    samples.reserveCapacity(repetitions)
    for _ in 0..<repetitions {
      samples.append(try Benchmark.time(body))
    }
    return Measurement(samples: samples)
  }

  /// The seconds one call of `body` takes.
  public static func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
  }
}
