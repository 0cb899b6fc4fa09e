// Runs an exercise's checks, each in a child process of the command line (`cnn-lessons exercise N
// --child-check K …`), so that a learner's function that traps (index out of range, a nil unwrap,
// a Tensor of the wrong size) is reported as one failed check with its signal and message, and the
// run goes on with the next check. Swift cannot catch a trap inside the process that hit it.

import CNN
import Foundation

/// Whether an exercise is still a stub, fails some check, or passes every check.
public enum ExerciseStatus: String, Sendable {
  case notStarted = "not started"
  case failing
  case passing

  /// The status of a set of outcomes: not started when every function is still a stub.
  public init(_ outcomes: [CheckOutcome]) {
    if outcomes.allSatisfy({ $0.status == .notWritten }) {
      self = .notStarted
    } else {
      self = outcomes.allSatisfy(\.passed) ? .passing : .failing
    }
  }
}

public enum ExerciseRunner {
  /// The longest a child may take over one check before it is stopped and the check failed.
  public static let checkTimeout: Double = 60

  /// Grades `solution` with every check of `exercise`: each check in a child process of
  /// `executable` (the `cnn-lessons` binary), or in this process when `executable` is nil.
  public static func grade(
    _ exercise: Exercise, solution: String = "yours", seed: UInt64, executable: String?
  ) throws -> [CheckOutcome] {
    guard exercise.solutionNames.contains(solution) else {
      throw CNNError("exercise \(exercise.number): unknown solution '\(solution)'; use \(exercise.solutionNames.joined(separator: ", "))")
    }
    let checks = exercise.checkInfo(seed)
    return try checks.indices.map { index in
      try runOne(exercise, index: index, info: checks[index], solution: solution, seed: seed, executable: executable)
    }
  }

  /// Whether the learner has started `exercise`: the first check of each function, run in child
  /// processes, all report `NotWrittenYet`. Cheap enough for listing every exercise.
  public static func isNotStarted(_ exercise: Exercise, seed: UInt64, executable: String?) throws -> Bool {
    let checks = exercise.checkInfo(seed)
    for function in exercise.functions {
      guard let index = checks.firstIndex(where: { $0.function == function }) else { continue }
      let outcome = try runOne(exercise, index: index, info: checks[index], solution: "yours", seed: seed, executable: executable)
      if outcome.status != .notWritten { return false }
    }
    return true
  }

  static func runOne(
    _ exercise: Exercise, index: Int, info: (name: String, function: String, hint: String), solution: String,
    seed: UInt64, executable: String?
  ) throws -> CheckOutcome {
    guard let executable else { return try exercise.runCheck(index, solution, seed) }
    let base = NSTemporaryDirectory() + "cnn-lessons-exercise-\(ProcessInfo.processInfo.processIdentifier)-\(exercise.number)-\(index)"
    let (resultPath, outPath, errPath) = (base + ".json", base + ".out", base + ".err")
    defer { for path in [resultPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
    try? FileManager.default.removeItem(atPath: resultPath)
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [
      "exercise", "\(exercise.number)", "--child-check", "\(index)", "--child-result", resultPath,
      "--seed", "\(seed)", "--grade-with", solution,
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = "enable=no"  // a trap prints its one message and exits at once
    process.environment = environment
    // Files, not pipes: a chatty learner function can never block on a full pipe.
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    do {
      try process.run()
    } catch {
      throw CNNError("cannot start the grading child process \(executable): \(error.localizedDescription)")
    }
    let start = Date()
    while process.isRunning {
      if Date().timeIntervalSince(start) > checkTimeout {
        process.terminate()
        process.waitUntilExit()
        return .failure(info.name, function: info.function,
                        measured: "did not finish in \(Int(checkTimeout)) s (an endless loop?)", hint: info.hint)
      }
      usleep(2_000)
    }
    process.waitUntilExit()

    if process.terminationReason == .exit, process.terminationStatus == 0,
       let data = FileManager.default.contents(atPath: resultPath),
       let outcome = try? decoder.decode(CheckOutcome.self, from: data) {
      return outcome
    }
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    let message = crashMessage(stderr)
    if process.terminationReason == .uncaughtSignal {
      let signal = process.terminationStatus
      return .failure(
        info.name, function: info.function,
        measured: "crashed with signal \(signal) (\(signalName(signal)))" + (message.map { ": \($0)" } ?? ""),
        hint: "Your function trapped: an index out of range, a nil force-unwrapped, an integer overflow or a "
          + "Tensor built with the wrong number of elements. " + info.hint)
    }
    return .failure(
      info.name, function: info.function,
      measured: "the grading process exited with status \(process.terminationStatus)" + (message.map { ": \($0)" } ?? ""),
      hint: info.hint)
  }

  /// The runtime's one-line reason for a trap (`Fatal error: Index out of range`), if printed.
  static func crashMessage(_ stderr: String) -> String? {
    let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    if let fatal = lines.first(where: { $0.contains("Fatal error") }) {
      // "…/File.swift:12: Fatal error: Index out of range" → keep from "Fatal error".
      return String(fatal[fatal.range(of: "Fatal error")!.lowerBound...])
    }
    return lines.last(where: { !$0.isEmpty }).map { String($0.prefix(200)) }
  }

  static func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGILL: "SIGILL, a Swift runtime trap"
    case SIGTRAP: "SIGTRAP, a Swift runtime trap"
    case SIGSEGV: "SIGSEGV, a bad memory access"
    case SIGABRT: "SIGABRT"
    case SIGFPE: "SIGFPE, an arithmetic fault"
    case SIGBUS: "SIGBUS, a bad memory access"
    default: "signal \(signal)"
    }
  }

  /// Reads a child's JSON, whose error measures may be NaN or infinite (a learner's NaN output).
  static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }

  /// The child's side: runs one check in this process and writes its outcome as JSON to `path`.
  public static func runChild(_ exercise: Exercise, index: Int, solution: String, seed: UInt64, resultPath: String) throws {
    let outcome = try exercise.runCheck(index, solution, seed)
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try encoder.encode(outcome)
    guard FileManager.default.createFile(atPath: resultPath, contents: data) else {
      throw CNNError("cannot write the check result to \(resultPath)")
    }
  }
}
