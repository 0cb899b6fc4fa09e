// The report card of one graded attempt: a page (the chapters' Page machinery) in
// DIR/exercises/NN-slug/ with every check's expected and measured values, the first wrong element,
// a hint for each failure, and links to the reference solution for after the attempt; plus the
// index DIR/exercises/README.md of the cards written so far.

import CNN
import Foundation

public enum ReportCard {
  /// What one graded attempt produced.
  public struct Result {
    public let status: ExerciseStatus
    public let outcomes: [CheckOutcome]
    /// The card's folder, `DIR/exercises/NN-slug`.
    public let directory: String
  }

  /// Grades `exercise` (each check in a child process of `executable`, or in this process when it
  /// is nil) and writes its report card under `outputDirectory/exercises`.
  public static func grade(
    _ exercise: Exercise, outputDirectory: String, seed: UInt64, solution: String = "yours",
    executable: String?, isQuiet: Bool = false
  ) throws -> Result {
    let folder = (outputDirectory as NSString).appendingPathComponent("exercises")
    try createDirectory(folder)
    let console = Console(isQuiet: isQuiet)
    console.line("Exercise \(exercise.number): \(exercise.title)  (edit \(exercise.file))")
    let outcomes = try ExerciseRunner.grade(exercise, solution: solution, seed: seed, executable: executable)
    let status = ExerciseStatus(outcomes)
    // A stub gets one line on the console, not one FAIL per check (the card still lists them).
    let options = RunOptions(outputDirectory: folder, seed: seed, isQuiet: isQuiet || status == .notStarted)
    if status == .notStarted {
      console.line("  \(exercise.functions.joined(separator: ", ")) still throw\(exercise.functions.count == 1 ? "s" : "") "
        + "NotWrittenYet: write \(exercise.functions.count == 1 ? "it" : "them") in \(exercise.file)")
    }
    let page = try Page(number: exercise.number, slug: exercise.slug, title: exercise.title, options: options)
    page.heading = "Exercise \(exercise.number): \(exercise.title)"
    page.indexLink = "[All exercises](../README.md)"
    page.rerunNote = "Grade again: `swift run -c release cnn-lessons exercise \(exercise.number)` "
      + "(edit `\(exercise.file)` first; only the Lessons target recompiles)."
    fill(page, exercise: exercise, outcomes: outcomes, status: status, solution: solution)
    try page.write()
    try writeIndex(folder)
    let path = (page.directory as NSString).appendingPathComponent("README.md")
    if let failure = outcomes.first(where: { $0.status == .failed }) {
      console.line("  First failing check: \(failure.name)")
      if let firstWrong = failure.firstWrong { console.line("    first wrong element \(firstWrong)") }
      if let hint = failure.hint { console.line("    hint: \(hint)") }
    }
    let passed = outcomes.filter(\.passed).count
    console.line("  \(status.rawValue): \(passed)/\(outcomes.count) checks pass  ·  report card: \(path)")
    return Result(status: status, outcomes: outcomes, directory: page.directory)
  }

  /// The card's content.
  static func fill(_ page: Page, exercise: Exercise, outcomes: [CheckOutcome], status: ExerciseStatus, solution: String) {
    let passed = outcomes.filter(\.passed).count
    page.prose(exercise.task)
    page.prose("""
      **File to edit:** [`\(exercise.file)`](\(link(to: exercise.file, from: page.directory))) \
      (\(exercise.functions.map { "`\($0)`" }.joined(separator: ", "))).
      """)
    if solution != "yours" {
      page.prose("> Graded with the `\(solution)` solution, not yours (`--grade-with \(solution)`).")
    }
    switch status {
    case .notStarted:
      page.prose("""
        **Not started.** Every function still throws `NotWrittenYet`. Replace the `throw` line of \
        each with your code and grade again; the \(outcomes.count) checks below are waiting.
        """)
    case .failing:
      let unwritten = Set(outcomes.filter { $0.status == .notWritten }.map(\.function)).sorted()
      page.prose("**Failing:** \(passed) of \(outcomes.count) checks pass."
        + (unwritten.isEmpty ? "" : " Not written yet: \(unwritten.map { "`\($0)`" }.joined(separator: ", ")).")
        + " The first wrong element and a hint for each failure are below the table.")
    case .passing:
      page.prose("**Passing:** all \(outcomes.count) checks pass. Compare your code with the reference solution linked at the end.")
    }

    page.step("Every check")
    page.prose("""
      Tensors are compared by their largest difference divided by max(1, largest |expected|) \
      ("scaled"); gradient checks by the relative error of chapter 5's checker, against central \
      differences of the reference forward pass. Each check ran in its own process, so a crash \
      fails only that check.
      """)
    page.table(
      headers: ["#", "Check", "Function", "Expected", "Yours", "Result"],
      rows: outcomes.enumerated().map { index, outcome in
        ["\(index + 1)", outcome.name, "`\(outcome.function)`", outcome.expected, outcome.measured,
         outcome.passed ? "✅ pass" : outcome.status == .notWritten ? "⬜ not written" : "❌ FAIL"]
      })
    for outcome in outcomes {
      page.check(
        outcome.name, value: outcome.value, threshold: nil,
        rule: outcome.status == .notWritten ? "not written yet" : outcome.expected, passed: outcome.passed)
    }

    let failures = outcomes.enumerated().filter { $0.element.status == .failed }
    if !failures.isEmpty {
      page.step("What went wrong")
      for (index, outcome) in failures {
        var lines = ["**\(index + 1). \(outcome.name)** (`\(outcome.function)`). Expected: \(outcome.expected). "
          + "Yours: \(outcome.measured)."]
        if let firstWrong = outcome.firstWrong { lines.append("First wrong element: \(firstWrong).") }
        if let hint = outcome.hint { lines.append("> **Hint:** \(hint)") }
        page.prose(lines.joined(separator: "\n\n"))
      }
    }

    page.step("The reference solution, for after your attempt")
    page.prose("""
      The library's own code solves this exercise; read it once you have tried: \
      \(exercise.references.map { "[`\($0)`](\(link(to: $0, from: page.directory)))" }.joined(separator: ", ")). \
      The grader and its planted mistakes are in `Lessons/Grading/`.
      """)
  }

  /// A relative link from the card's folder to a file of the package, or the file's absolute path
  /// when the output folder is outside the package.
  static func link(to file: String, from directory: String) -> String {
    let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
    let folder = (absolute as NSString).standardizingPath
    let root = (packageRoot as NSString).standardizingPath
    guard folder.hasPrefix(root + "/") else { return root + "/" + file }
    let depth = folder.dropFirst(root.count + 1).split(separator: "/").count
    return String(repeating: "../", count: depth) + file
  }

  /// Rewrites `folder/README.md`: one row per report card present.
  static func writeIndex(_ folder: String) throws {
    let entries = ChapterIndex.entries(in: folder)
    let rows = entries.map { entry -> [String] in
      let status = entry.passed ? "✅ passing" : "❌ not passing yet"
      return ["\(entry.number)", "[\(entry.title)](\(entry.folder)/README.md)", status, "\(entry.checksPassed)/\(entry.checkCount)"]
    }
    let lines = [
      "# cnn-lessons: exercise report cards", "",
      "Each card below was written by `cnn-lessons exercise N`; `cnn-lessons exercises` lists every exercise.", "",
      "| # | Exercise | Status | Checks |", "| --- | --- | --- | --- |",
    ] + rows.map { "| " + $0.joined(separator: " | ") + " |" } + [
      "",
    ]
    try writeAtomically(lines.joined(separator: "\n"), to: (folder as NSString).appendingPathComponent("README.md"))
  }
}
