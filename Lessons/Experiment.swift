// "Try this" suggestions as data. A chapter declares each suggestion as an `Experiment`: which
// knob to change, to what, and the effect the page predicts, as a predicate over what the run
// measured. The page prints the suggestions from this data, and a test (LessonsTests) applies
// every one in quick mode and asserts its prediction, so a suggestion cannot promise what the
// code does not do.

import CNN

/// One "Try this" edit of a chapter's knobs and its predicted effect.
public struct Experiment<Knobs: Sendable>: Sendable {
  /// The edit as the learner reads it: which knob in which file, and the new value.
  public let edit: String
  /// What the learner will see; `holds` decides it from the run, so word it as exactly that.
  public let prediction: String
  /// The same edit applied to a chapter's knobs (what the test does instead of editing the file).
  public let apply: @Sendable (inout Knobs) -> Void
  /// Whether the prediction came true, from the page's metrics (results.json keys) and checks.
  public let holds: @Sendable (_ metrics: [String: Double], _ failedChecks: [String]) -> Bool

  public init(
    edit: String, prediction: String, apply: @escaping @Sendable (inout Knobs) -> Void,
    holds: @escaping @Sendable (_ metrics: [String: Double], _ failedChecks: [String]) -> Bool
  ) {
    (self.edit, self.prediction, self.apply, self.holds) = (edit, prediction, apply, holds)
  }

  /// The suggestion as the page prints it.
  public var text: String { "\(edit) \(prediction)" }
}

/// A chapter whose "Try this" suggestions are experiments over a value of knobs.
public protocol ExperimentChapter: Chapter {
  associatedtype Knobs: Sendable
  /// The values the chapter runs with; the defaults are the committed lesson.
  init(knobs: Knobs)
  static var defaultKnobs: Knobs { get }
  static var experiments: [Experiment<Knobs>] { get }
}

extension Page {
  /// The metrics recorded so far, by key (what an experiment's prediction reads).
  public var metricValues: [String: Double] {
    Dictionary(metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
  }

  /// The names of the checks that failed so far.
  public var failedCheckNames: [String] { checks.filter { !$0.passed }.map(\.name) }

  /// Prints each experiment as a "Try this" suggestion.
  public func tryThis<Knobs>(_ experiments: [Experiment<Knobs>]) {
    for experiment in experiments { tryThis(experiment.text) }
  }
}
