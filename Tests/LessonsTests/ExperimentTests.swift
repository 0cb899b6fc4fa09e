// Every "Try this" experiment of the chapters that declare them as data (Lessons/Experiments.swift):
// each edit is applied to the chapter's settings, the chapter runs in quick mode, and the effect
// the page predicts must show in the measured numbers.

import CNN
import Foundation
import Testing

@testable import Lessons

/// Runs `chapter` with `settings` in quick mode into a fresh folder and returns its measured numbers.
func quickMetrics<C: ExperimentalChapter>(_ chapter: C.Type, settings: C.Settings, cache: RunCache) throws -> [String: Double] {
  let options = RunOptions(outputDirectory: try temporaryFolder("experiment"), isQuick: true, isQuiet: true)
  let page = try Page(number: C.number, slug: C.slug, title: C.title, options: options, cache: cache)
  try C(settings: settings).run(page)
  return page.metricsByKey
}

/// Applies every experiment of `chapter` and returns one failure sentence per broken prediction.
func brokenPredictions<C: ExperimentalChapter>(_ chapter: C.Type, cache: RunCache) throws -> [String] {
  var failures: [String] = []
  for experiment in C.experiments {
    var settings = C.defaultSettings
    experiment.apply(&settings)
    let metrics = try quickMetrics(C.self, settings: settings, cache: cache)
    if let problem = experiment.verify(metrics) {
      failures.append("chapter \(C.number), \"\(experiment.edit)\": \(problem)")
    }
  }
  return failures
}

@Suite("Try this: every experiment keeps its promise", .serialized)
struct ExperimentTests {
  static let cache = RunCache()

  @Test("chapter 12's experiments")
  func regularisation() throws {
    #expect(!Regularisation.experiments.isEmpty)
    let failures = try brokenPredictions(Regularisation.self, cache: Self.cache)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  @Test("chapter 13's experiments")
  func batchNormalisation() throws {
    #expect(!BatchNormalisation.experiments.isEmpty)
    let failures = try brokenPredictions(BatchNormalisation.self, cache: Self.cache)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  @Test("the page lists every experiment under Try this, naming the chapter's file")
  func pagesListExperiments() throws {
    let options = RunOptions(outputDirectory: try temporaryFolder("experiment-page"), isQuick: true, isQuiet: true)
    let page = try Page(number: Regularisation.number, slug: Regularisation.slug, title: Regularisation.title, options: options)
    Regularisation.listExperiments(on: page)
    try page.write()
    let readme = try String(contentsOfFile: page.directory + "/README.md", encoding: .utf8)
    for experiment in Regularisation.experiments {
      #expect(readme.contains(experiment.edit))
    }
    #expect(readme.contains("`Lessons/12-Regularisation.swift`"))
    #expect(FileManager.default.fileExists(atPath: packageRoot + "/" + Regularisation.file))
    #expect(FileManager.default.fileExists(atPath: packageRoot + "/" + BatchNormalisation.file))
  }

  @Test("a bad setting is a one-line error, not a trap")
  func badSettings() throws {
    var settings = Regularisation.defaultSettings
    settings.dropoutRate = 1
    #expect {
      _ = try quickMetrics(Regularisation.self, settings: settings, cache: Self.cache)
    } throws: { error in
      "\(error)".contains("dropoutRate") && !"\(error)".contains("\n")
    }
    var bnSettings = BatchNormalisation.defaultSettings
    bnSettings.channels = []
    #expect {
      _ = try quickMetrics(BatchNormalisation.self, settings: bnSettings, cache: Self.cache)
    } throws: { error in
      "\(error)".contains("channels") && !"\(error)".contains("\n")
    }
  }
}
