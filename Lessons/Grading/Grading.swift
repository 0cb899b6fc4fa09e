// The grading machinery shared by every exercise: one check's outcome (expected vs measured, the
// first wrong element, a hint), checks written against a solution passed as closures, and the
// type-erased `Exercise` the command line lists and runs. Checks never trust the learner's code:
// shapes are compared before values, thrown errors become failed checks, and a function that traps
// is run in a child process (ExerciseRunner.swift) so the trap is reported instead of ending the run.

import CNN
import Foundation

/// The outcome of one graded check, as the report card shows it (Codable: a child process sends it
/// back to the parent as JSON).
public struct CheckOutcome: Codable, Sendable, Equatable {
  public enum Status: String, Codable, Sendable {
    /// The learner's function gave the expected result.
    case passed
    /// It returned something wrong, threw an error or trapped.
    case failed
    /// It still throws `NotWrittenYet`.
    case notWritten
  }

  public var name: String
  /// The `YourCode` function the check grades.
  public var function: String
  public var status: Status
  /// What the check expected, in words and numbers: `max |yours − PyTorch| ≤ 1e-04`.
  public var expected: String
  /// What the learner's function gave: `8.3e-01`, `shape [2, 3, 5, 5]`, `threw: …`.
  public var measured: String
  /// The error measure behind `measured` (NaN when there is none), for the page's check table.
  public var value: Double
  /// The first element that is wrong, with its indices, expected and measured value.
  public var firstWrong: String?
  /// Shown when the check fails: the usual mistake behind this kind of failure.
  public var hint: String?

  public var passed: Bool { status == .passed }

  public init(
    name: String, function: String, status: Status, expected: String, measured: String,
    value: Double = .nan, firstWrong: String? = nil, hint: String? = nil
  ) {
    self.name = name
    self.function = function
    self.status = status
    self.expected = expected
    self.measured = measured
    self.value = value
    self.firstWrong = firstWrong
    self.hint = hint
  }

  /// A failed check whose measurement is an error message (thrown, trapped, timed out).
  static func failure(_ name: String, function: String, measured: String, hint: String?) -> CheckOutcome {
    CheckOutcome(name: name, function: function, status: .failed, expected: "a result", measured: measured, hint: hint)
  }
}

/// One check of an exercise: runs a solution on one case and judges the result.
struct GradedCheck<Solution> {
  let name: String
  /// The `YourCode` function graded (the check is "not written" while it throws `NotWrittenYet`).
  let function: String
  /// The hint when the solution throws or traps on this case.
  let hint: String
  let run: (Solution) throws -> CheckOutcome

  /// Runs the check in this process: a thrown error is a failed check, `NotWrittenYet` a stub.
  func evaluate(_ solution: Solution) -> CheckOutcome {
    do {
      return try run(solution)
    } catch let error as NotWrittenYet {
      return CheckOutcome(
        name: name, function: function, status: .notWritten, expected: "a result",
        measured: "\(error)")
    } catch {
      return .failure(name, function: function, measured: "threw: \(oneLine(error))", hint: hint)
    }
  }
}

/// A known mistake planted in an otherwise correct solution: the graders must catch it, and one
/// of the failing checks must give `expectedHint` (a phrase of its hint). The tests hold them to it.
struct PlantedMistake<Solution> {
  let name: String
  let solution: Solution
  let expectedHint: String
}

/// Everything about one exercise's grading, for a solution type of closures.
struct ExerciseGrader<Solution> {
  /// The learner's functions (`YourCode.…`).
  let yours: Solution
  /// The library's own functions: must pass every check.
  let reference: Solution
  let mistakes: [PlantedMistake<Solution>]
  /// A solution that traps on some cases, for testing the child-process runner (never run in-process).
  var crashing: Solution? = nil
  /// The checks for a seed (the same list in the parent and in every child process).
  let checks: (UInt64) -> [GradedCheck<Solution>]
}

/// An exercise as the command line sees it, whatever its solution type.
public struct Exercise {
  /// The chapter it belongs to: `cnn-lessons exercise 6` grades the exercise of chapter 6.
  public let number: Int
  /// The report card's folder: `exercises/06-convolution-backward`.
  public let slug: String
  public let title: String
  /// The file to edit, from the package root.
  public let file: String
  /// The functions to write, such as `YourCode.convolutionBackward`.
  public let functions: [String]
  /// Library files that hold the reference solution (linked from the report card).
  public let references: [String]
  /// What the exercise asks, in two or three sentences, for the report card.
  public let task: String
  /// "yours", "reference", then the planted mistakes' names.
  public let solutionNames: [String]
  /// The planted mistakes with the hint phrase each must trigger.
  public let plantedMistakes: [(name: String, expectedHint: String)]
  /// Each check's name, the function it grades and its hint for a crash, for a seed, in order.
  public let checkInfo: (UInt64) -> [(name: String, function: String, hint: String)]
  /// Runs check `index` for `solution` (one of `solutionNames`) in this process.
  public let runCheck: (_ index: Int, _ solution: String, _ seed: UInt64) throws -> CheckOutcome

  init<Solution>(
    number: Int, slug: String, title: String, file: String, functions: [String], references: [String],
    task: String, grader: ExerciseGrader<Solution>
  ) {
    (self.number, self.slug, self.title, self.file, self.functions, self.references, self.task) =
      (number, slug, title, file, functions, references, task)
    solutionNames = ["yours", "reference"] + grader.mistakes.map(\.name) + (grader.crashing == nil ? [] : [crashingSolutionName])
    plantedMistakes = grader.mistakes.map { ($0.name, $0.expectedHint) }
    checkInfo = { seed in grader.checks(seed).map { ($0.name, $0.function, $0.hint) } }
    runCheck = { index, name, seed in
      let solution: Solution
      switch name {
      case "yours": solution = grader.yours
      case "reference": solution = grader.reference
      case crashingSolutionName where grader.crashing != nil: solution = grader.crashing!
      default:
        guard let mistake = grader.mistakes.first(where: { $0.name == name }) else {
          throw CNNError("exercise \(number): unknown solution '\(name)'; use yours, reference or a planted mistake")
        }
        solution = mistake.solution
      }
      let checks = grader.checks(seed)
      guard checks.indices.contains(index) else {
        throw CNNError("exercise \(number) has checks 0..<\(checks.count), not \(index)")
      }
      return checks[index].evaluate(solution)
    }
  }

  /// Grades `solution` with every check in this process (the tests; a trap would end the process).
  public func gradeInProcess(solution: String = "yours", seed: UInt64 = RunOptions.defaultSeed) throws -> [CheckOutcome] {
    try checkInfo(seed).indices.map { try runCheck($0, solution, seed) }
  }
}

/// The name of the solution that traps on purpose (`--grade-with`), for the runner's tests.
public let crashingSolutionName = "crashes-on-stride-2"

/// Every exercise, in course order.
public var allExercises: [Exercise] {
  [
    convolutionForwardExercise,
    outputSizeExercise,
    maxPoolingExercise,
    backpropagationExercise,
    convolutionBackwardExercise,
    momentumExercise,
    im2colExercise,
    batchNormExercise,
  ]
}

/// The exercise of chapter `number`, or a one-line error naming the exercises that exist.
public func exercise(_ number: Int) throws -> Exercise {
  guard let found = allExercises.first(where: { $0.number == number }) else {
    let known = allExercises.map { "\($0.number)" }.joined(separator: ", ")
    throw CNNError("chapter \(number) has no exercise; the exercises are \(known) (see `cnn-lessons exercises`)")
  }
  return found
}

/// An error's description cut to its first line.
func oneLine(_ error: Error) -> String {
  "\(error)".components(separatedBy: .newlines).first ?? "\(error)"
}

// MARK: - Judging tensors

/// The default tolerance on max |yours − expected| / max(1, max |expected|).
let exerciseTolerance: Float = 1e-4

/// A tensor index as `[0, 1, 2, 3]` for a flat index.
func indexText(_ flat: Int, shape: [Int]) -> String {
  var rest = flat
  var index = [Int](repeating: 0, count: shape.count)
  for axis in shape.indices.reversed() where shape[axis] > 0 {
    index[axis] = rest % shape[axis]
    rest /= shape[axis]
  }
  return "[" + index.map(String.init).joined(separator: ", ") + "]"
}

/// Short text of one element.
func valueText(_ value: Float) -> String { formatted(value) }

/// Judges a tensor against the expected one: shape first, then the largest difference relative to
/// the expected tensor's scale (at least 1), then the first element that is off.
///
/// `mistakes` are the results known wrong implementations give on the same case: when the
/// learner's tensor equals one of them, its hint replaces the general `hint`, naming the mistake.
func judgeTensor(
  _ name: String, function: String, yours: Tensor, expected: Tensor, against source: String = "reference",
  tolerance: Float = exerciseTolerance, hint: String, mistakes: [(result: Tensor, hint: String)] = []
) -> CheckOutcome {
  let rule = "max |yours − \(source)| ≤ \(formatted(tolerance, .scientific(0))) (scaled)"
  guard yours.shape == expected.shape else {
    var shapeHint = hint
    let sameRank = yours.rank == expected.rank
    if sameRank, zip(yours.shape, expected.shape).contains(where: { abs($0 - $1) == 1 }) {
      shapeHint = "Off by one in the output size: H′ = ⌊(H + 2P − K) / S⌋ + 1. " + hint
    }
    return CheckOutcome(
      name: name, function: function, status: .failed, expected: "shape \(expected.shape); " + rule,
      measured: "shape \(yours.shape)", hint: shapeHint)
  }
  let scale = max(1, expected.scalars.reduce(0) { max($0, abs($1)) })
  var worst: Float = 0
  var firstWrong: Int?
  for i in 0..<expected.count {
    let difference = abs(yours.scalars[i] - expected.scalars[i])
    let bad = !difference.isFinite || difference > tolerance * scale
    worst = difference.isFinite ? max(worst, difference) : .infinity
    if bad && firstWrong == nil { firstWrong = i }
  }
  let error = worst / scale
  guard let firstWrong else {
    return CheckOutcome(
      name: name, function: function, status: .passed, expected: rule,
      measured: formatted(error, .scientific(1)), value: Double(error))
  }
  let matched = mistakes.first { mistake in
    mistake.result.shape == yours.shape && mistake.result.maxAbsDifference(yours) <= tolerance * scale
  }
  return CheckOutcome(
    name: name, function: function, status: .failed, expected: rule,
    measured: formatted(error, .scientific(1)), value: Double(error),
    firstWrong: "\(indexText(firstWrong, shape: expected.shape)): expected \(valueText(expected.scalars[firstWrong])), "
      + "yours \(valueText(yours.scalars[firstWrong]))",
    hint: matched?.hint ?? hint)
}

/// Judges a number against the expected one (relative to max(1, |expected|)).
func judgeNumber(
  _ name: String, function: String, yours: Float, expected: Float, against source: String = "reference",
  tolerance: Float = exerciseTolerance, hint: String, mistakes: [(result: Float, hint: String)] = []
) -> CheckOutcome {
  let scale = max(1, abs(expected))
  let error = abs(yours - expected) / scale
  let passed = error.isFinite && error <= tolerance
  let matched = mistakes.first { abs($0.result - yours) <= tolerance * max(1, abs($0.result)) }
  return CheckOutcome(
    name: name, function: function, status: passed ? .passed : .failed,
    expected: "\(valueText(expected)) (\(source)), within \(formatted(tolerance, .scientific(0))) scaled",
    measured: valueText(yours), value: Double(error),
    firstWrong: passed ? nil : "expected \(valueText(expected)), yours \(valueText(yours))",
    hint: passed ? nil : (matched?.hint ?? hint))
}

/// A gradient check of the learner's backward function against central differences of a
/// reference forward (`gradientCheck(input:seed:step:forward:backward:)`, chapter 5's checker).
///
/// The learner's function may throw or return the wrong shape: both are caught before the checker
/// compares anything. The first wrong element is the first whose relative error (the checker's
/// formula, `compare` in GradientCheck.swift) exceeds the tolerance.
func judgeGradient(
  _ name: String, function: String, input: Tensor, seed: UInt64,
  forward: (Tensor) throws -> Tensor, yourBackward: (Tensor, Tensor) throws -> Tensor,
  hint: String, mistakes: [(backward: (Tensor, Tensor) throws -> Tensor, hint: String)] = []
) throws -> CheckOutcome {
  var thrown: Error?
  var wrongShape: [Int]?
  var usedGradOutput: Tensor?
  let report = try gradientCheck(input: input, seed: seed, forward: forward) { x, gradOutput in
    usedGradOutput = gradOutput
    do {
      let result = try yourBackward(x, gradOutput)
      if result.shape == x.shape { return result }
      wrongShape = result.shape
    } catch {
      thrown = error
    }
    return Tensor(zeros: x.shape)
  }
  if let thrown { throw thrown }
  let tolerance = gradientCheckTolerance
  let rule = "max relative error ≤ \(formatted(tolerance, .scientific(0))) (gradient check, h = \(formatted(gradientCheckStep)))"
  if let wrongShape {
    return CheckOutcome(
      name: name, function: function, status: .failed, expected: "shape \(input.shape); " + rule,
      measured: "shape \(wrongShape)", hint: hint)
  }
  guard let comparison = report.comparisons.first else {
    return .failure(name, function: function, measured: "no comparison", hint: hint)
  }
  let (analytic, numeric) = (comparison.analytic, comparison.numeric)
  var scale: Float = 0
  for (a, n) in zip(analytic.scalars, numeric.scalars) { scale = max(scale, abs(a) + abs(n)) }
  let floor = max(1e-8, 1e-3 * scale)
  var firstWrong: Int?
  var worst: Float = 0
  for i in 0..<analytic.count {
    let relative = abs(analytic.scalars[i] - numeric.scalars[i]) / max(floor, abs(analytic.scalars[i]) + abs(numeric.scalars[i]))
    worst = relative.isFinite ? max(worst, relative) : .infinity
    if (!relative.isFinite || relative > tolerance) && firstWrong == nil { firstWrong = i }
  }
  guard let firstWrong else {
    return CheckOutcome(
      name: name, function: function, status: .passed, expected: rule,
      measured: formatted(worst, .scientific(1)), value: Double(worst))
  }
  // Which known mistake gives the same gradient (on the same gradOutput) as the learner's?
  var matchedHint: String?
  for mistake in mistakes {
    if let gradOutput = usedGradOutput, let result = try? mistake.backward(input, gradOutput), result.shape == analytic.shape,
       result.maxAbsDifference(analytic) <= 1e-4 * max(1, scale) {
      matchedHint = mistake.hint
      break
    }
  }
  return CheckOutcome(
    name: name, function: function, status: .failed, expected: rule,
    measured: formatted(worst, .scientific(1)), value: Double(worst),
    firstWrong: "\(indexText(firstWrong, shape: input.shape)): expected (numeric) \(valueText(numeric.scalars[firstWrong])), "
      + "yours \(valueText(analytic.scalars[firstWrong]))",
    hint: matchedHint ?? hint)
}

/// A true/false check with what was expected and what was seen.
func judgeCondition(
  _ name: String, function: String, _ condition: Bool, expected: String, measured: String,
  firstWrong: String? = nil, hint: String
) -> CheckOutcome {
  CheckOutcome(
    name: name, function: function, status: condition ? .passed : .failed, expected: expected,
    measured: measured, value: condition ? 1 : 0, firstWrong: condition ? nil : firstWrong,
    hint: condition ? nil : hint)
}
