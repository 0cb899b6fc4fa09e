// `cnn-lessons exercises` and `cnn-lessons exercise N`: argument parsing for the graded exercises.
// The graders, the child-process runner and the report card live in Lessons/Grading; this file
// only chooses, prints and sets the exit status; errors are thrown (one `Error:` line). A grading child is this same program run with
// the hidden `--child-check` option.

import ArgumentParser
import CNN
import Foundation
import Lessons

extension CNNLessons {
  /// This program's own path, for the grading child processes.
  static var executablePath: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// Grades the exercises of `numbers` and writes their report cards; false when one is not passing.
  static func gradeExercises(_ numbers: [Int], output: String, seed: UInt64, solution: String) throws -> Bool {
    var allPassing = true
    for number in numbers {
      let result = try ReportCard.grade(
        try exercise(number), outputDirectory: output, seed: seed, solution: solution, executable: executablePath)
      allPassing = allPassing && result.status == .passing
      print("")
    }
    return allPassing
  }

  struct Exercises: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the exercises with their status and the file to edit.",
      discussion: """
        Each exercise is a function of a chapter for you to write, in Lessons/Exercises/NN-*.swift: \
        its signature, the math, hints, and a body that throws NotWrittenYet until you replace it. \
        The status is "not started" while every function still throws NotWrittenYet; otherwise \
        every check runs (as `cnn-lessons exercise N` does, without writing a page).

        Examples:
          cnn-lessons exercises
          cnn-lessons exercise 2
        """)

    @Option(name: .long, help: "Seed of the graders' random cases.")
    var seed: UInt64 = RunOptions.defaultSeed

    func run() throws {
      print("  #  Exercise" + String(repeating: " ", count: 46) + "Status        File")
      for exercise in allExercises {
        let status: String
        if try ExerciseRunner.isNotStarted(exercise, seed: seed, executable: CNNLessons.executablePath) {
          status = ExerciseStatus.notStarted.rawValue
        } else {
          let outcomes = try ExerciseRunner.grade(exercise, seed: seed, executable: CNNLessons.executablePath)
          let passed = outcomes.filter(\.passed).count
          status = ExerciseStatus(outcomes).rawValue + " \(passed)/\(outcomes.count)"
        }
        let title = exercise.title.padding(toLength: 54, withPad: " ", startingAt: 0)
        print(String(format: "%3d  ", exercise.number) + title + status.padding(toLength: 14, withPad: " ", startingAt: 0)
          + exercise.file)
      }
      print("\nGrade one and write its report card: cnn-lessons exercise N")
    }
  }

  struct ExerciseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exercise",
      abstract: "Grade your solution of an exercise and write its report card.",
      discussion: """
        Runs the exercise's checks against your functions in Lessons/Exercises/ (the chapter's own \
        kinds of check: gradient checks, PyTorch fixtures, edge cases such as ties, stride 2, \
        padding 2, batch 1, non-square inputs), each in a child process so that a crash in your \
        code fails one check instead of the run. Writes DIR/exercises/NN-slug/README.md: every \
        check with expected and measured values, the first wrong element and a hint for each \
        failure, and links to the reference solution. The exit status is 0 only when every check \
        passes. `cnn-lessons run N --exercise` does the same.

        Examples:
          cnn-lessons exercise 6
          cnn-lessons exercise 2 4 --output /tmp/cards
        """)

    @Argument(help: "Exercise numbers (the chapter each belongs to), or 'all'.")
    var numbers: [String] = []

    @Option(name: .long, help: ArgumentHelp("Folder for the report cards (DIR/exercises/…).", valueName: "DIR"))
    var output: String = "Output"

    @Option(name: .long, help: "Seed of the graders' random cases.")
    var seed: UInt64 = RunOptions.defaultSeed

    /// `reference` or a planted mistake instead of your code (used by the tests).
    @Option(name: .long, help: .hidden)
    var gradeWith: String = "yours"

    @Option(name: .long, help: .hidden)
    var childCheck: Int?

    @Option(name: .long, help: .hidden)
    var childResult: String?

    func run() throws {
      let selected = try CNNLessons.exerciseNumbers(numbers)
      if let childCheck, let childResult, let number = selected.first {
        try ExerciseRunner.runChild(
          try exercise(number), index: childCheck, solution: gradeWith, seed: seed, resultPath: childResult)
        return
      }
      if !(try CNNLessons.gradeExercises(selected, output: output, seed: seed, solution: gradeWith)) {
        throw ExitCode(1)
      }
    }
  }

  /// Exercise numbers from arguments (`all` for every exercise); a one-line error for the rest.
  static func exerciseNumbers(_ arguments: [String]) throws -> [Int] {
    guard !arguments.isEmpty else {
      throw CNNError("name the exercise to grade, e.g. `cnn-lessons exercise 2` (see `cnn-lessons exercises`)")
    }
    if arguments.contains(where: { $0.lowercased() == "all" }) { return allExercises.map(\.number) }
    let numbers = try arguments.map { argument in
      guard let number = Int(argument) else {
        throw CNNError("'\(argument)' is not an exercise number; see `cnn-lessons exercises`")
      }
      _ = try exercise(number)
      return number
    }
    return allExercises.map(\.number).filter(numbers.contains)
  }
}
