// The graders are graded: the library's reference passes every check of every exercise, each
// planted mistake fails with the hint that names it, the committed stubs fail cleanly as "not
// started", and through the binary a trapping solution fails only the checks it traps on.

import CNN
import Foundation
import Testing

@testable import Lessons

@Suite("Graded exercises")
struct ExerciseTests {
  static var numbers: [Int] { allExercises.map(\.number) }

  /// Every (exercise, planted mistake) pair.
  static var mistakes: [String] {
    allExercises.flatMap { exercise in exercise.plantedMistakes.map { "\(exercise.number):\($0.name)" } }
  }

  @Test("the exercises cover chapters 2, 3, 4, 5, 6, 8, 9 and 13, each file present")
  func coverage() throws {
    #expect(Set(Self.numbers).isSuperset(of: [2, 3, 4, 5, 6, 8, 9, 13]))
    for exercise in allExercises {
      #expect(FileManager.default.fileExists(atPath: packageRoot + "/" + exercise.file), "\(exercise.file)")
      for reference in exercise.references {
        #expect(FileManager.default.fileExists(atPath: packageRoot + "/" + reference), "\(reference)")
      }
      #expect(!exercise.plantedMistakes.isEmpty, "exercise \(exercise.number) has no planted mistake")
    }
  }

  @Test("the library's reference solution passes every check", arguments: numbers)
  func referencePasses(number: Int) throws {
    for seed: UInt64 in [42, 7] {
      let outcomes = try exercise(number).gradeInProcess(solution: "reference", seed: seed)
      #expect(outcomes.count >= 5)
      for outcome in outcomes {
        #expect(outcome.passed, "exercise \(number), seed \(seed): \(outcome.name): \(outcome.measured), first wrong \(outcome.firstWrong ?? "-")")
      }
    }
  }

  @Test("each planted mistake fails, with the hint that names it", arguments: mistakes)
  func plantedMistakeFails(spec: String) throws {
    let parts = spec.split(separator: ":").map(String.init)
    let exercise = try exercise(Int(parts[0])!)
    let expectedHint = try #require(exercise.plantedMistakes.first { $0.name == parts[1] }).expectedHint
    let outcomes = try exercise.gradeInProcess(solution: parts[1])
    let failures = outcomes.filter { $0.status == .failed }
    #expect(!failures.isEmpty, "\(spec) passed every check")
    #expect(ExerciseStatus(outcomes) == .failing)
    #expect(failures.contains { $0.hint?.contains(expectedHint) == true },
            "\(spec): no failing check gives the hint '\(expectedHint)'; hints: \(failures.compactMap(\.hint))")
    // A failure on values (not shapes or errors) names the first wrong element.
    #expect(failures.contains { $0.firstWrong != nil || $0.measured.hasPrefix("shape") }, "\(spec)")
  }

  @Test("the committed exercise files are stubs that fail cleanly as not started", arguments: numbers)
  func stubsAreNotStarted(number: Int) throws {
    let exercise = try exercise(number)
    let outcomes = try exercise.gradeInProcess()
    #expect(ExerciseStatus(outcomes) == .notStarted)
    for outcome in outcomes {
      #expect(outcome.status == .notWritten, "\(outcome.name): \(outcome.measured)")
      #expect(!outcome.measured.contains("\n"))
      #expect(outcome.measured.contains("is not written yet") && outcome.measured.contains(outcome.function))
    }
    #expect(Set(outcomes.map(\.function)) == Set(exercise.functions))
  }

  @Test("judgeTensor names the first wrong element and an off-by-one shape")
  func judging() {
    let expected = Tensor(shape: [1, 2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
    var wrong = expected
    wrong[0, 1, 0, 1] = 0
    let outcome = judgeTensor("t", function: "f", yours: wrong, expected: expected, hint: "general")
    #expect(!outcome.passed)
    #expect(outcome.firstWrong == "[0, 1, 0, 1]: expected 6, yours 0")
    #expect(outcome.hint == "general")
    let named = judgeTensor("t", function: "f", yours: wrong, expected: expected, hint: "general",
                            mistakes: [(wrong, "named mistake")])
    #expect(named.hint == "named mistake")
    let short = judgeTensor("t", function: "f", yours: Tensor(zeros: [1, 2, 1, 2]), expected: expected, hint: "general")
    #expect(short.measured == "shape [1, 2, 1, 2]" && short.hint?.contains("Off by one") == true)
    var nan = expected
    nan[0, 0, 0, 0] = .nan
    #expect(!judgeTensor("t", function: "f", yours: nan, expected: expected, hint: "").passed)
    #expect(judgeTensor("t", function: "f", yours: expected, expected: expected, hint: "").passed)
  }

  @Test("a crash message is cut to the runtime's reason")
  func crashMessage() {
    #expect(ExerciseRunner.crashMessage("x\n/a/b.swift:3: Fatal error: Index out of range\nmore\n") == "Fatal error: Index out of range")
    #expect(ExerciseRunner.crashMessage("") == nil)
  }

  @Test("an in-process report card of a planted mistake shows expected, first wrong element and hint")
  func reportCardOfAMistake() throws {
    let folder = try temporaryFolder("exercise-card")
    let result = try ReportCard.grade(
      try exercise(6), outputDirectory: folder, seed: 42, solution: "kernel-not-flipped", executable: nil, isQuiet: true)
    #expect(result.status == .failing)
    let card = try String(contentsOfFile: result.directory + "/README.md", encoding: .utf8)
    #expect(card.contains("# Exercise 6: Convolution backward"))
    #expect(card.contains("First wrong element: ["))
    #expect(card.contains("**Hint:** Your dX uses the kernel not flipped"))
    #expect(card.contains("Sources/CNN/Layers/Conv2D.swift"))
    #expect(card.contains("cnn-lessons exercise 6"))
    let index = try String(contentsOfFile: folder + "/exercises/README.md", encoding: .utf8)
    #expect(index.contains("06-convolution-backward/README.md"))
  }
}

@Suite("Graded exercises through the binary", .serialized)
struct ExerciseCLITests {
  @Test("exercises lists every exercise as not started with its file")
  func listing() throws {
    let run = try execute(["exercises"])
    #expect(run.status == 0, "\(run.stderr)")
    for exercise in allExercises {
      let line = run.stdout.split(separator: "\n").first { $0.contains(exercise.file) }
      #expect(line?.contains("not started") == true, "\(run.stdout)")
    }
  }

  @Test("a stub: exit 1, one line on the console, a card that says not started")
  func stub() throws {
    let folder = try temporaryFolder("exercise-stub")
    let run = try execute(["exercise", "4", "--output", folder])
    #expect(run.exitedNormally && run.status == 1)
    #expect(run.stderr.isEmpty, "\(run.stderr)")
    #expect(run.stdout.contains("still throw NotWrittenYet"))
    #expect(!run.stdout.contains("FAIL"))
    let card = try String(contentsOfFile: folder + "/exercises/04-max-pooling/README.md", encoding: .utf8)
    #expect(card.contains("**Not started.**"))
  }

  @Test("the reference solution through child processes: exit 0 and a passing card")
  func reference() throws {
    let folder = try temporaryFolder("exercise-reference")
    // `run N --exercise` grades your code (the committed stub) the same way.
    let run = try execute(["run", "9", "--exercise", "--output", folder])
    #expect(run.exitedNormally && run.status == 1 && run.stdout.contains("not started"), "\(run.stdout)\(run.stderr)")
    let graded = try execute(["exercise", "9", "--grade-with", "reference", "--output", folder])
    #expect(graded.status == 0, "\(graded.stdout)\(graded.stderr)")
    #expect(graded.stdout.contains("passing: 5/5 checks pass"))
    let card = try String(contentsOfFile: folder + "/exercises/09-im2col/README.md", encoding: .utf8)
    #expect(card.contains("**Passing:** all 5 checks pass"))
  }

  @Test("a solution that traps fails those checks with the signal, and the others still run")
  func trap() throws {
    let folder = try temporaryFolder("exercise-trap")
    let run = try execute(["exercise", "2", "--grade-with", crashingSolutionName, "--output", folder])
    #expect(run.exitedNormally && run.status == 1, "\(run.stderr)")
    let json = try #require(FileManager.default.contents(atPath: folder + "/exercises/02-convolution-forward/results.json"))
    let results = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    let checks = try #require(results["checks"] as? [[String: Any]])
    let failed = checks.filter { ($0["passed"] as? Bool) == false }.compactMap { $0["name"] as? String }
    #expect(checks.count == 9)
    #expect(failed.count == 2 && failed.allSatisfy { $0.contains("stride 2") }, "\(failed)")
    let card = try String(contentsOfFile: folder + "/exercises/02-convolution-forward/README.md", encoding: .utf8)
    #expect(card.contains("crashed with signal"))
  }

  @Test("an exercise that does not exist is a one-line error")
  func unknown() throws {
    expectOneLineError(try execute(["exercise", "7"]), mentioning: "chapter 7 has no exercise")
    expectOneLineError(try execute(["exercise"]), mentioning: "name the exercise")
  }
}
