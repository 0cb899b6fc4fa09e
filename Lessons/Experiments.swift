// "Try this" suggestions as data: the knob a learner edits, the new value, and the predicted effect
// as a test over the page's measured numbers. The page prints each one from this data, and
// Tests/LessonsTests/ExperimentTests.swift applies every one in quick mode and asserts its prediction,
// so a suggestion cannot promise what the code does not do.
//
// NOTE: a minimal mechanism, built for chapters 12 and 13 (issue 9 asks for one course-wide);
// a chapter opts in by keeping its knobs in a `Settings` value and listing `experiments`.

import CNN

/// A chapter whose knobs live in one `Settings` value, so an experiment can change them.
protocol ExperimentalChapter: Chapter {
  associatedtype Settings
  /// The knobs as the chapter's file sets them (the values a full run uses).
  static var defaultSettings: Settings { get }
  /// The "Try this" experiments, in the order the page lists them.
  static var experiments: [Experiment<Settings>] { get }
  /// The chapter's file, `Lessons/12-Regularisation.swift`: where a learner makes the edits.
  static var file: String { get }
  init(settings: Settings)
}

/// One "Try this" edit and the effect it predicts.
struct Experiment<Settings> {
  /// What to edit, as the page says it: "set `dropoutRate` to 0".
  let edit: String
  /// What happens then, as the page says it.
  let prediction: String
  /// The edit itself, applied to the chapter's settings.
  let apply: (inout Settings) -> Void
  /// The prediction as a test over the page's measured numbers (`results.json` metrics by key);
  /// returns nil when it holds, or one sentence saying what was measured instead.
  let verify: (_ metrics: [String: Double]) -> String?
}

extension ExperimentalChapter {
  /// The chapter with the settings its file declares.
  init() { self.init(settings: Self.defaultSettings) }

  /// The page's "Try this" section, printed from `experiments`.
  static func listExperiments(on page: Page) {
    for experiment in experiments {
      page.tryThis("In `\(file)`, \(experiment.edit) and rerun `cnn-lessons run \(number)`: \(experiment.prediction)")
    }
  }
}

extension Page {
  /// The measured numbers by key, as `results.json` stores them.
  var metricsByKey: [String: Double] {
    Dictionary(metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
  }
}
