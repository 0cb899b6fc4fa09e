// Every chapter is a test: each runs in quick mode into a temporary folder, all its checks pass,
// and the page it writes is complete (README.md, results.json, every linked image, PNGs decode).

import CNN
import Plotting
import Foundation
import Testing

@testable import Lessons

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String) throws -> String {
  let path = NSTemporaryDirectory() + "cnn-lessons-\(name)-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The image files a page links with `![…](file.png)` or `<img src="file.png" …>`.
func linkedImages(in markdown: String) -> [String] {
  shownImages(in: markdown).map(\.file)
}

/// The image files a page shows, each with the width an `<img width="…">` gives it (nil for a
/// Markdown image, shown at its own width).
func shownImages(in markdown: String) -> [(file: String, width: Int?)] {
  var images: [(file: String, width: Int?)] = []
  var rest = Substring(markdown)
  while let open = rest.range(of: "](") {
    rest = rest[open.upperBound...]
    guard let close = rest.firstIndex(of: ")") else { break }
    let target = String(rest[..<close])
    if target.hasSuffix(".png") { images.append((target, nil)) }
    rest = rest[close...]
  }
  rest = Substring(markdown)
  while let open = rest.range(of: "<img ") {
    rest = rest[open.upperBound...]
    guard let close = rest.firstIndex(of: ">") else { break }
    let tag = rest[..<close]
    func attribute(_ name: String) -> String? {
      guard let start = tag.range(of: name + "=\"") else { return nil }
      return tag[start.upperBound...].prefix { $0 != "\"" }.description
    }
    if let file = attribute("src") { images.append((file, attribute("width").flatMap { Int($0) })) }
    rest = rest[close...]
  }
  return images
}

/// Lines of a page where inline math `$…$` opens and does not close (it crosses a line break,
/// which code hosts do not render). Display math `$$…$$` and code spans are skipped.
func inlineMathCrossingLines(in markdown: String) -> [String] {
  var inFence = false
  var broken: [String] = []
  for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
    if line.hasPrefix("```") { inFence.toggle(); continue }
    guard !inFence else { continue }
    var text = line.replacingOccurrences(of: "$$", with: "").replacingOccurrences(of: "\\$", with: "")
    text = text.split(separator: "`", omittingEmptySubsequences: false).enumerated()
      .filter { $0.offset % 2 == 0 }.map(\.element).joined()
    if text.filter({ $0 == "$" }).count % 2 == 1 { broken.append(String(line)) }
  }
  return broken
}

/// The chapters run by the tests share one cache (one dataset load) and one output folder, so
/// chapters that reuse chapter 8's checkpoint exercise that path too.
@Suite("Chapters run in quick mode", .serialized)
struct ChapterRunTests {
  static let output = NSTemporaryDirectory() + "cnn-lessons-chapters-\(ProcessInfo.processInfo.processIdentifier)"
  static let cache = RunCache()

  @Test("chapter runs with --quick, passes its checks and writes a complete page",
        arguments: allChapterNumbers)
  func chapterRuns(number: Int) throws {
    let chapter = try #require(allChapters.first { $0.number == number })
    let options = RunOptions(outputDirectory: Self.output, isQuick: true, isQuiet: true)
    let outcomes = try LessonRunner.run([chapter], options: options, cache: Self.cache)
    let outcome = try #require(outcomes.first)
    #expect(outcome.summary.error == nil, "chapter \(number) stopped: \(outcome.summary.error ?? "")")
    #expect(outcome.summary.checkCount > 0, "chapter \(number) ran no checks")
    #expect(outcome.summary.checksPassed == outcome.summary.checkCount,
            "chapter \(number): \(outcome.summary.checksPassed)/\(outcome.summary.checkCount) checks passed")

    let readmePath = outcome.directory + "/README.md"
    let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
    #expect(readme.contains("# Chapter \(number):"))
    #expect(readme.contains("## Try this"))
    #expect(readme.contains("Seed \(RunOptions.defaultSeed)"))

    let json = try #require(FileManager.default.contents(atPath: outcome.directory + "/results.json"))
    let results = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    #expect((results["chapter"] as? NSNumber)?.intValue == number)
    #expect(results["quick"] as? Bool == true)
    #expect(results["title"] as? String == chapter.title)
    #expect((results["seconds"] as? NSNumber) != nil)
    #expect(results["metrics"] is [String: Any])
    let checks = try #require(results["checks"] as? [[String: Any]])
    #expect(checks.count == outcome.summary.checkCount)
    for check in checks {
      #expect(check["name"] is String && check["value"] != nil && check["threshold"] != nil && check["passed"] is Bool)
    }

    let images = shownImages(in: readme)
    #expect(!images.isEmpty, "chapter \(number) has no figures")
    for (file, shownWidth) in images {
      let image = try PNG.read(from: outcome.directory + "/" + file)
      #expect(image.width > 0 && image.height > 0, "\(file) is empty")
      // Legible on a code host about 900 px wide: at most 1000 px as displayed.
      let displayed = shownWidth ?? image.width
      #expect(displayed <= 1000, "chapter \(number): \(file) is shown \(displayed) px wide")
    }
    #expect(inlineMathCrossingLines(in: readme).isEmpty,
            "chapter \(number): inline math crosses a line break: \(inlineMathCrossingLines(in: readme))")
    #expect(!readme.contains("| holds |"), "chapter \(number): a yes/no check shows as a number")
    #expect(outcome.summary.clippedText.isEmpty,
            "chapter \(number): text drawn outside the canvas in \(outcome.summary.clippedText)")

    let index = try String(contentsOfFile: Self.output + "/README.md", encoding: .utf8)
    #expect(index.contains("(\(Page.folderName(number: number, slug: chapter.slug))/README.md)"))
  }
}

@Suite("Runner and page")
struct RunnerTests {
  @Test("an unknown chapter is an error that lists the chapters")
  func unknownChapter() {
    #expect {
      _ = try LessonRunner.chapters(matching: ["99"])
    } throws: { error in
      "\(error)".contains("unknown chapter '99'") && "\(error)".contains("1, 2, 3")
    }
  }

  @Test("chapters are selected in course order without repeats")
  func selection() throws {
    let chosen = try LessonRunner.chapters(matching: ["3", "1", "3"])
    #expect(chosen.map { $0.number } == [1, 3])
    #expect(try LessonRunner.chapters(matching: ["all"]).count == allChapters.count)
  }

  @Test("a failed check fails the page but the chapter keeps running")
  func failedCheck() throws {
    let page = try Page(number: 99, slug: "scratch", title: "Scratch",
                        options: RunOptions(outputDirectory: try temporaryFolder("page"), isQuiet: true))
    page.check("passes", 0.5, below: 1)
    page.check("fails", 2.0, below: 1)
    page.check("NaN never passes", Double.nan, below: 1)
    page.number("test accuracy", 0.987, format: .percent(2))
    let summary = try page.write()
    #expect(summary.checksPassed == 1 && summary.checkCount == 3 && !summary.passed)
    let json = try String(contentsOfFile: page.directory + "/results.json", encoding: .utf8)
    #expect(json.contains("\"value\" : null"))  // NaN is not JSON
    let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(parsed?["passed"] as? Bool == false)
    #expect((parsed?["metrics"] as? [String: Any])?["test_accuracy"] as? Double == 0.987)

    // Read back through the same Codable type that wrote it.
    let read = try ChapterResult.read(from: page.directory + "/results.json")
    #expect(read.number == 99 && read.slug == "scratch" && read.title == "Scratch")
    #expect(read.seed == RunOptions.defaultSeed && !read.isQuick && !read.passed && read.error == nil)
    #expect(read.metrics == ["test_accuracy": 0.987])
    #expect(read.checks.map(\.name) == summary.checks.map(\.name))
    #expect(read.checks.map(\.passed) == [true, false, false])
    #expect(read.checks[2].value.isNaN && read.checks[1].value == 2)
    #expect(read.seconds == summary.seconds)
    let index = ChapterIndex.entries(in: page.options.outputDirectory)
    #expect(index.map(\.number) == [99] && index.first?.checksPassed == 1)
  }

  @Test("page lints: inline math split over lines is found; yes/no checks read yes/no; slow rates keep digits")
  func pageLints() throws {
    #expect(inlineMathCrossingLines(in: "a $x +\ny$ b\n$$\nz\n$$\n`$` and $w$").count == 2)
    #expect(inlineMathCrossingLines(in: "a $x + y$ b, `echo $HOME`\n$$\nz = 1\n$$").isEmpty)
    let page = try Page(number: 97, slug: "lints", title: "Lints",
                        options: RunOptions(outputDirectory: try temporaryFolder("lints"), isQuiet: true))
    page.check("it holds", true)
    page.check("it fails", false)
    try page.write(error: nil)
    let readme = try String(contentsOfFile: page.directory + "/README.md", encoding: .utf8)
    #expect(readme.contains("| it holds | yes | expected yes |") && readme.contains("| it fails | no | expected yes |"))
    #expect(Progress.rateText(0.42) == "0.42" && Progress.rateText(3) == "3" && Progress.rateText(12_345.6) == "12,345")
  }

  @Test("results.json: every key once, sorted, and a number recorded twice keeps its last value")
  func resultsKeysUnique() throws {
    let page = try Page(number: 98, slug: "keys", title: "Keys",
                        options: RunOptions(outputDirectory: try temporaryFolder("keys"), isQuiet: true))
    page.number("loss", 2.0)
    page.number("loss", 1.5)
    page.number("other loss", 1.0, key: "loss_b")
    page.number("not finite", Double.infinity)
    page.check("holds", true)
    try page.write(error: "stopped early")
    let json = try String(contentsOfFile: page.directory + "/results.json", encoding: .utf8)
    for key in ["chapter", "checks", "error", "figures", "metrics", "quick", "seconds", "seed",
                "slug", "title", "loss", "loss_b", "not_finite"] {
      #expect(json.components(separatedBy: "\"\(key)\" :").count == 2, "key \(key) should appear once")
    }
    let read = try ChapterResult.read(from: page.directory + "/results.json")
    #expect(read.metrics["loss"] == 1.5 && read.metrics["loss_b"] == 1.0)
    #expect(read.metrics["not_finite"]?.isNaN == true)
    #expect(read.error == "stopped early" && !read.passed)

    // A file that is not a chapter's results is a one-line error naming it.
    try Data(#"{"chapter": 1}"#.utf8).write(to: URL(fileURLWithPath: page.directory + "/results.json"))
    #expect {
      _ = try ChapterResult.read(from: page.directory + "/results.json")
    } throws: { error in
      "\(error)".contains("results.json") && "\(error)".contains("missing key") && !"\(error)".contains("\n")
    }
  }

  @Test("an output folder under a regular file is a one-line error")
  func unwritableOutput() throws {
    let file = try temporaryFolder("file") + "/plain-file"
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    let options = RunOptions(outputDirectory: file + "/Output", isQuiet: true)
    #expect {
      _ = try LessonRunner.run([allChapters[0]], options: options)
    } throws: { error in
      !"\(error)".contains("\n") && "\(error)".contains("plain-file")
    }
  }
}
