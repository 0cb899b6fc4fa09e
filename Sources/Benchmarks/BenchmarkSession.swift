// One `cnn-lessons bench` run: the workloads chosen by name, each measured in turn, with LeNet in
// a fresh child process (this same program) so that its peak resident memory is the LeNet run's
// own, as pytorch_reference.py measures PyTorch's with ru_maxrss in a fresh subprocess.

import CNN
import Foundation

extension BenchmarkWorkload {
  /// The workloads named on the command line (`all`, or any of the workload names), in the order
  /// `all` runs them; an unknown name is a one-line error listing the known ones.
  public static func named(_ names: [String]) throws -> [BenchmarkWorkload] {
    if names.contains(where: { $0.lowercased() == "all" }) { return allCases }
    let chosen = try names.map { name in
      guard let workload = BenchmarkWorkload(rawValue: name.lowercased()) else {
        let known = allCases.map(\.rawValue).joined(separator: ", ")
        throw CNNError("unknown workload '\(name)'; use \(known) or all")
      }
      return workload
    }
    return allCases.filter(chosen.contains)
  }
}

/// Measures workloads the way `cnn-lessons bench` does and labels the results with the machine.
public struct BenchmarkSession {
  /// Where the LeNet workload runs.
  public enum LeNetPlacement: Sendable {
    /// In a fresh child process of `executable` (started as `bench lenet --child --json FILE`),
    /// so its peak memory is its own.
    case childProcess(executable: String)
    /// In this process: its peak memory then includes the workloads run before it.
    case inProcess
    /// This process is that child: it records its own peak memory.
    case isChild
  }

  public var workloads: [BenchmarkWorkload]
  public var options: BenchmarkOptions
  public var lenet: LeNetPlacement

  public init(workloads: [BenchmarkWorkload], options: BenchmarkOptions, lenet: LeNetPlacement) {
    self.workloads = workloads
    self.options = options
    self.lenet = lenet
  }

  /// Runs every workload, printing a line per step, and returns the results with their metadata.
  public func measure(command: String) throws -> BenchmarkResults {
    var options = options
    switch lenet {
    case .isChild, .inProcess: options.recordsPeakMemory = true
    case .childProcess: options.recordsPeakMemory = false
    }
    // Each progress line is flushed (fflush(nil): all streams) so that, written into a file or
    // pipe, it keeps its order with the LeNet child's lines, which share this standard output.
    let suite = BenchmarkSuite(options: options, log: { print($0); fflush(nil) })
    for workload in workloads {
      if workload == .lenet, case .childProcess(let executable) = lenet {
        suite.merge(try runLeNet(inChildOf: executable, options: options))
      } else {
        try suite.run(workload)
      }
    }
    var results = suite.results
    results.meta["date"] = ISO8601DateFormatter().string(from: Date())
    results.meta["cpu"] = BenchmarkSession.cpuName()
    results.meta["threads"] = "2"
    results.meta["tool"] = "cnn-lessons bench"
    results.meta["command"] = command
    if case .inProcess = lenet {
      results.meta["peak_memory"] = "VmHWM of the whole bench process after the LeNet run"
    } else {
      results.meta["peak_memory"] = "VmHWM of a fresh child process that loaded MNIST and ran only the LeNet workload"
    }
    return results
  }

  /// Runs `executable bench lenet --child` and reads back its JSON, so that the peak resident
  /// memory it reports belongs to the LeNet run alone.
  private func runLeNet(inChildOf executable: String, options: BenchmarkOptions) throws -> BenchmarkResults {
    let output = NSTemporaryDirectory()
      + "cnn-lessons-bench-lenet-\(ProcessInfo.processInfo.processIdentifier).json"
    defer { try? FileManager.default.removeItem(atPath: output) }
    var arguments = ["bench", "lenet", "--child", "--json", output, "--repetitions", "\(options.repetitions)"]
    if let batches = options.lenetBatches { arguments += ["--batches", "\(batches)"] }
    print("lenet: running in a child process for its own peak memory")
    fflush(nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CNNError("the LeNet benchmark child process failed with status \(process.terminationStatus)")
    }
    return try BenchmarkResults.read(from: output)
  }

  /// The path of the running program (to start it again as the LeNet child).
  public static func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// The processor's model name from /proc/cpuinfo, or "unknown".
  static func cpuName() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
    let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
    let name = line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
    return "\(name ?? "unknown"), \(ProcessInfo.processInfo.activeProcessorCount) cores"
  }
}
