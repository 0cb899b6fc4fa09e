// The command line as a learner meets it: bad input gives one line on standard error and a
// non-zero exit status, never a crash or a stack trace. These tests run the built binary.

import Foundation
import Testing

/// The built `cnn-lessons` executable, next to the test bundle in `.build/<configuration>`.
func cnnLessonsBinary() throws -> URL {
  var candidates: [URL] = []
  for bundle in [Bundle.main] + Bundle.allBundles {
    var folder = bundle.bundleURL
    for _ in 0..<4 {
      candidates.append(folder.appendingPathComponent("cnn-lessons"))
      folder = folder.deletingLastPathComponent()
    }
  }
  for candidate in candidates {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
       FileManager.default.isExecutableFile(atPath: candidate.path) {
      return candidate
    }
  }
  throw CLIError("cnn-lessons binary not found near \(Bundle.main.bundleURL.path)")
}

struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// What one run of the binary produced.
struct Execution {
  let status: Int32
  let exitedNormally: Bool
  let stdout: String
  let stderr: String
  var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

func execute(_ arguments: [String]) throws -> Execution {
  let process = Process()
  process.executableURL = try cnnLessonsBinary()
  process.arguments = arguments
  // Files rather than pipes: a chatty child can never block on a full pipe.
  let base = NSTemporaryDirectory() + "cnn-cli-io-\(UUID().uuidString)"
  _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
  _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
  defer {
    try? FileManager.default.removeItem(atPath: base + ".out")
    try? FileManager.default.removeItem(atPath: base + ".err")
  }
  process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
  process.standardError = FileHandle(forWritingAtPath: base + ".err")
  try process.run()
  process.waitUntilExit()
  return Execution(
    status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
    stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
}

/// Expects the one-line error contract: exit status ≠ 0 (not a signal), one `Error:` line on stderr.
func expectOneLineError(_ run: Execution, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(run.exitedNormally, "terminated by a signal: \(run.stderr)", sourceLocation: sourceLocation)
  #expect(run.status != 0, sourceLocation: sourceLocation)
  #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
  #expect(run.stderrLines.first?.hasPrefix("Error: ") == true, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
  #expect(run.stderr.contains(text), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
}

@Suite("cnn-lessons command line")
struct CLITests {
  @Test("an unknown chapter lists the chapters that exist")
  func unknownChapter() throws {
    let run = try execute(["run", "99", "--output", NSTemporaryDirectory() + "cnn-cli-\(UUID().uuidString)"])
    expectOneLineError(run, mentioning: "unknown chapter '99'")
    #expect(run.stderr.contains("1, 2, 3"))
  }

  @Test("an output folder that cannot be created is a one-line error")
  func unwritableOutput() throws {
    let folder = NSTemporaryDirectory() + "cnn-cli-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let file = folder + "/regular-file"
    try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
    let run = try execute(["run", "1", "--quick", "--output", file + "/Output"])
    expectOneLineError(run, mentioning: "regular-file")
  }

  @Test("a data folder with a corrupt file is a one-line error")
  func corruptData() throws {
    let folder = NSTemporaryDirectory() + "cnn-cli-data-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // An image file whose header promises 2 images of 28x28 but holds 3 bytes, and a label file
    // with a wrong magic number.
    try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3])
      .write(to: URL(fileURLWithPath: folder + "/train-images-idx3-ubyte"))
    try Data([0, 0, 9, 9, 0, 0, 0, 2, 5, 7]).write(to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
    let run = try execute(["run", "1", "--quick", "--data", folder, "--output", folder + "/Output"])
    expectOneLineError(run, mentioning: "idx")
  }

  @Test("a missing Fashion-MNIST names the package to install",
        .enabled(if: !FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")))
  func missingFashion() throws {
    let folder = NSTemporaryDirectory() + "cnn-cli-\(UUID().uuidString)"
    let run = try execute(["run", "1", "--quick", "--dataset", "fashion", "--output", folder])
    expectOneLineError(run, mentioning: "dataset-fashion-mnist")
  }

  @Test("list prints every chapter; --help shows examples")
  func listAndHelp() throws {
    let list = try execute(["list"])
    #expect(list.status == 0)
    #expect(list.stdout.split(separator: "\n").count >= 8)
    let help = try execute(["run", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("Examples:") && help.stdout.contains("--quick"))
  }

  @Test("--version prints the version; --dataset takes only the datasets that exist")
  func versionAndDataset() throws {
    let version = try execute(["--version"])
    #expect(version.status == 0)
    #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3,
            "version: \(version.stdout)")
    let folder = NSTemporaryDirectory() + "cnn-cli-\(UUID().uuidString)"
    let bogus = try execute(["run", "1", "--quick", "--dataset", "cifar", "--output", folder])
    #expect(bogus.exitedNormally && bogus.status != 0)
    #expect(bogus.stderr.hasPrefix("Error: ") && bogus.stderr.contains("mnist") && bogus.stderr.contains("fashion"),
            "stderr: \(bogus.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder), "nothing is written for a bad option")
  }

  @Test("help texts speak to a learner: no internal issue numbers")
  func helpTexts() throws {
    for command in [["--help"], ["run", "--help"], ["list", "--help"], ["bench", "--help"]] {
      let help = try execute(command)
      #expect(help.status == 0)
      #expect(!help.stdout.lowercased().contains("issue"), "\(command): \(help.stdout)")
    }
  }

  @Test("an unknown benchmark workload is a one-line error naming the known ones")
  func unknownWorkload() throws {
    let run = try execute(["bench", "gemmm"])
    expectOneLineError(run, mentioning: "unknown workload 'gemmm'")
    #expect(run.stderr.contains("inference"))
  }
}
