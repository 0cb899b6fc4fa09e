// The "Try this" experiments of chapters 12 and 13 (Lessons/Experiment.swift): each edit is applied
// to the chapter's knobs, the chapter runs in quick mode, and the effect the page predicts must show
// in what the run measured.

import CNN
import Foundation
import Testing

@testable import Lessons

/// Runs `chapter` with `knobs` in quick mode into a fresh folder; returns the page.
func quickRun<C: ExperimentChapter>(_ chapter: C.Type, knobs: C.Knobs, cache: RunCache) throws -> Page {
  let options = RunOptions(outputDirectory: try temporaryFolder("experiment"), isQuick: true, isQuiet: true)
  let page = try Page(number: C.number, slug: C.slug, title: C.title, options: options, cache: cache)
  try C(knobs: knobs).run(page)
  return page
}

/// Applies every experiment of `chapter`; returns the edits whose prediction did not come true.
func brokenPredictions<C: ExperimentChapter>(_ chapter: C.Type, cache: RunCache) throws -> [String] {
  var broken: [String] = []
  for experiment in C.experiments {
    var knobs = C.defaultKnobs
    experiment.apply(&knobs)
    let page = try quickRun(C.self, knobs: knobs, cache: cache)
    if !experiment.holds(page.metricValues, page.failedCheckNames) {
      broken.append("chapter \(C.number): \(experiment.edit) → metrics \(page.metricValues.sorted { $0.key < $1.key })")
    }
  }
  return broken
}

@Suite("Try this in chapters 12 and 13: every experiment keeps its promise", .serialized)
struct RegularisationExperimentTests {
  static let cache = RunCache()

  @Test("chapter 12's experiments")
  func regularisation() throws {
    #expect(!Regularisation.experiments.isEmpty)
    let broken = try brokenPredictions(Regularisation.self, cache: Self.cache)
    #expect(broken.isEmpty, "\(broken.joined(separator: "\n"))")
  }

  @Test("chapter 13's experiments")
  func batchNormalisation() throws {
    #expect(!BatchNormalisation.experiments.isEmpty)
    let broken = try brokenPredictions(BatchNormalisation.self, cache: Self.cache)
    #expect(broken.isEmpty, "\(broken.joined(separator: "\n"))")
  }

  @Test("a bad knob is a one-line error naming it, not a trap")
  func badKnobs() throws {
    var knobs = Regularisation.defaultKnobs
    knobs.dropoutRate = 1
    #expect {
      _ = try quickRun(Regularisation.self, knobs: knobs, cache: Self.cache)
    } throws: { error in
      "\(error)".contains("dropoutRate") && !"\(error)".contains("\n")
    }
    var bnKnobs = BatchNormalisation.defaultKnobs
    bnKnobs.channels = []
    #expect {
      _ = try quickRun(BatchNormalisation.self, knobs: bnKnobs, cache: Self.cache)
    } throws: { error in
      "\(error)".contains("channels") && !"\(error)".contains("\n")
    }
  }
}
