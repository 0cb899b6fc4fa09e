// `cnn-lessons bench`: argument parsing for the benchmark. The workloads, timing and JSON live in
// Sources/CNN/Benchmark; this file only chooses, spawns the LeNet child, prints and compares.

import ArgumentParser
import CNN
import Foundation

extension CNNLessons {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Time the fixed workloads of issue 4 and compare them with PyTorch.",
      discussion: """
        Workloads: gemm (1024³ and 2048³, 1 and 2 threads), conv (four convolution shapes and \
        max pooling, forward and forward+backward), lenet (LeNet-5, one epoch of MNIST), modern \
        (a 4-conv batch-norm network over fixed batches), inference (10,000 test images, both \
        networks), or all. Every figure is the best and the median of --repetitions timed runs.

        The LeNet workload runs in a fresh child process (this same program) so that its peak \
        resident memory (VmHWM from /proc/self/status) is the LeNet run's own, as \
        pytorch_reference.py measures PyTorch's with ru_maxrss in a fresh subprocess.

        Examples:
          cnn-lessons bench all --json ours.json
          cnn-lessons bench conv --repetitions 3
          cnn-lessons bench lenet --batches 100                a quick LeNet run
          python3 Sources/CNN/Benchmark/pytorch_reference.py all --json torch.json
          cnn-lessons bench --from ours.json --compare torch.json
        """)

    @Argument(help: "Workloads: gemm, conv, lenet, modern, inference, or all.")
    var workloads: [String] = []

    @Option(name: .long, help: ArgumentHelp("Write the results as JSON (atomically).", valueName: "FILE"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("A reference JSON (pytorch_reference.py) to print beside ours with ratios.", valueName: "FILE"))
    var compare: String?

    @Option(name: .long, help: ArgumentHelp("Read our results from a JSON file instead of measuring.", valueName: "FILE"))
    var from: String?

    @Option(name: .long, help: "Timed repetitions per figure (at least 3).")
    var repetitions: Int = 5

    @Flag(name: .long, help: "Modern network: train one full epoch instead of fixed batches.")
    var fullEpoch = false

    @Option(name: .long, help: ArgumentHelp("LeNet: train only N batches instead of one epoch (quick runs).", valueName: "N"))
    var batches: Int?

    @Flag(name: .long, help: "Run LeNet in this process (its peak memory then includes earlier workloads).")
    var inProcess = false

    @Flag(name: .long, help: .hidden)
    var child = false

    func validate() throws {
      guard repetitions >= 3 else { throw ValidationError("--repetitions must be at least 3, got \(repetitions)") }
      if let batches, batches < 1 { throw ValidationError("--batches must be at least 1, got \(batches)") }
      if from != nil {
        guard workloads.isEmpty else { throw ValidationError("--from reads results; name no workloads with it") }
      } else if workloads.isEmpty {
        throw ValidationError("name the workloads, e.g. `cnn-lessons bench all` or `cnn-lessons bench gemm conv`")
      }
      _ = try selectedWorkloads()
    }

    func selectedWorkloads() throws -> [BenchmarkWorkload] {
      if workloads.contains(where: { $0.lowercased() == "all" }) { return BenchmarkWorkload.allCases }
      let chosen = try workloads.map { name in
        guard let workload = BenchmarkWorkload(rawValue: name.lowercased()) else {
          throw ValidationError("unknown workload '\(name)'; use gemm, conv, lenet, modern, inference or all")
        }
        return workload
      }
      return BenchmarkWorkload.allCases.filter(chosen.contains)
    }

    func run() throws {
      do {
        let results = try from.map(BenchmarkResults.read(from:)) ?? measure()
        if !child { print("\n" + results.table()) }
        if let json {
          try results.write(to: json)
          if !child { print("\nwrote \(json)") }
        }
        if let compare {
          let reference = try BenchmarkResults.read(from: compare)
          print("\nours vs \(compare):\n" + results.comparisonTable(with: reference))
        }
      } catch {
        CNNLessons.fail(error)
      }
    }

    private func measure() throws -> BenchmarkResults {
      var options = BenchmarkOptions()
      options.repetitions = repetitions
      options.fullEpoch = fullEpoch
      options.lenetBatches = batches
      options.recordsPeakMemory = child || inProcess
      // Each progress line is flushed (fflush(nil): all streams) so that, written into a file or
      // pipe, it keeps its order with the LeNet child's lines, which share this standard output.
      let suite = BenchmarkSuite(options: options, log: { print($0); fflush(nil) })
      for workload in try selectedWorkloads() {
        if workload == .lenet && !child && !inProcess {
          suite.merge(try runLeNetInChild())
        } else {
          try suite.run(workload)
        }
      }
      var results = suite.results
      results.meta["date"] = ISO8601DateFormatter().string(from: Date())
      results.meta["cpu"] = Bench.cpuName()
      results.meta["threads"] = "2"
      results.meta["tool"] = "cnn-lessons bench"
      results.meta["command"] = CommandLine.arguments.dropFirst().joined(separator: " ")
      results.meta["peak_memory"] = inProcess
        ? "VmHWM of the whole bench process after the LeNet run"
        : "VmHWM of a fresh child process that loaded MNIST and ran only the LeNet workload"
      return results
    }

    /// Runs `cnn-lessons bench lenet` in a fresh process and reads back its JSON, so that the peak
    /// resident memory it reports belongs to the LeNet run alone.
    private func runLeNetInChild() throws -> BenchmarkResults {
      let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
      let output = NSTemporaryDirectory() + "cnn-lessons-bench-lenet-\(ProcessInfo.processInfo.processIdentifier).json"
      defer { try? FileManager.default.removeItem(atPath: output) }
      var arguments = ["bench", "lenet", "--child", "--json", output, "--repetitions", "\(repetitions)"]
      if let batches { arguments += ["--batches", "\(batches)"] }
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

    /// The processor's model name from /proc/cpuinfo, or "unknown".
    static func cpuName() -> String {
      guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
      let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
      let name = line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
      return "\(name ?? "unknown"), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
  }
}
