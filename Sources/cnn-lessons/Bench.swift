// `cnn-lessons bench`: argument parsing for the benchmark. The workloads, timing, JSON and the
// LeNet child process live in Sources/Benchmarks; this file only parses, calls and prints.

import ArgumentParser
import Benchmarks

extension CNNLessons {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Time fixed workloads (GEMM, convolutions, training, inference) and compare them with PyTorch.",
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
          python3 Sources/Benchmarks/pytorch_reference.py all --json torch.json
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
    }

    func run() throws {
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
    }

    private func measure() throws -> BenchmarkResults {
      var options = BenchmarkOptions()
      options.repetitions = repetitions
      options.fullEpoch = fullEpoch
      options.lenetBatches = batches
      let lenet: BenchmarkSession.LeNetPlacement =
        child ? .isChild : inProcess ? .inProcess : .childProcess(executable: BenchmarkSession.currentExecutable())
      let session = BenchmarkSession(workloads: try BenchmarkWorkload.named(workloads), options: options, lenet: lenet)
      return try session.measure(command: CommandLine.arguments.dropFirst().joined(separator: " "))
    }
  }
}
