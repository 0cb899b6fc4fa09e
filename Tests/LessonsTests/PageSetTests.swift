// A chapter's pages change as a unit (issue 8): a run is staged in a hidden folder and swapped in
// at the end; a chapter stopped by an error keeps the last complete page and reports beside it;
// leftovers of killed runs are cleaned at the next start; Ctrl-C leaves the previous page intact.

import CNN
import Plotting
import Foundation
import Testing

@testable import Lessons

/// A tiny chapter that completes: one figure, one passing check.
struct ScratchChapter: Chapter {
  static let number = 97
  static let slug = "scratch"
  static let title = "Scratch"
  func run(_ page: Page) throws {
    page.prose("complete run")
    try page.figure("grey.png", Image(width: 3, height: 2, channels: 1, fill: 200), caption: "Grey.")
    page.check("holds", true)
  }
}

/// The same chapter stopped by an error after writing a different figure (bad data, say).
struct FailingScratchChapter: Chapter {
  static let number = 97
  static let slug = "scratch"
  static let title = "Scratch"
  func run(_ page: Page) throws {
    page.prose("failed run")
    try page.figure("grey.png", Image(width: 3, height: 2, channels: 1, fill: 0), caption: "Black.")
    throw CNNError("scratch: the data is bad")
  }
}

/// The pid of a process that has ended (so no running process owns it, barring reuse).
func deadPID() throws -> Int32 {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/true")
  try process.run()
  process.waitUntilExit()
  return process.processIdentifier
}

@Suite("A chapter's page set changes as a unit", .serialized)
struct PageSetTests {
  let options: RunOptions

  init() throws {
    options = RunOptions(outputDirectory: try temporaryFolder("pageset"), isQuiet: true)
  }

  var final: String { options.outputDirectory + "/97-scratch" }

  func contents(_ file: String) -> String {
    (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
  }

  @Test("an error keeps the last complete page, reports beside it and in the index")
  func failureKeepsLastGoodPage() throws {
    defer { try? FileManager.default.removeItem(atPath: options.outputDirectory) }
    _ = try LessonRunner.run([ScratchChapter.self], options: options)
    let goodFigure = try PNG.read(from: final + "/grey.png")

    let outcome = try #require(try LessonRunner.run([FailingScratchChapter.self], options: options).first)
    #expect(outcome.summary.error == "scratch: the data is bad")
    #expect(outcome.directory == final + ".failed")
    // The last complete page is untouched, figure and all.
    #expect(contents(final + "/README.md").contains("complete run"))
    #expect(try PNG.read(from: final + "/grey.png") == goodFigure)
    let results = try JSONSerialization.jsonObject(with: Data(contents(final + "/results.json").utf8)) as? [String: Any]
    #expect(results?["chapter"] != nil && !(results?["error"] is String))
    // The failure is reported beside it and listed in the index.
    #expect(contents(final + ".failed/README.md").contains("scratch: the data is bad"))
    let index = contents(options.outputDirectory + "/README.md")
    #expect(index.contains("(97-scratch/README.md)") && index.contains("(97-scratch.failed/README.md)"))
    #expect(index.contains("❌ error"))
    // Nothing half-done is left: no staging folder, no temporary file.
    let names = try FileManager.default.contentsOfDirectory(atPath: options.outputDirectory)
    #expect(Set(names) == ["97-scratch", "97-scratch.failed", "README.md"])

    // The next complete run replaces the page and removes the old error report.
    _ = try LessonRunner.run([ScratchChapter.self], options: options)
    #expect(!FileManager.default.fileExists(atPath: final + ".failed"))
    #expect(!contents(options.outputDirectory + "/README.md").contains("❌"))
  }

  @Test("an error with no complete page to keep becomes the page")
  func failureWithoutPreviousPage() throws {
    defer { try? FileManager.default.removeItem(atPath: options.outputDirectory) }
    let outcome = try #require(try LessonRunner.run([FailingScratchChapter.self], options: options).first)
    #expect(outcome.directory == final)
    #expect(contents(final + "/README.md").contains("scratch: the data is bad"))
    // A second failure replaces an error page: there is nothing complete to protect.
    _ = try LessonRunner.run([FailingScratchChapter.self], options: options)
    #expect(!FileManager.default.fileExists(atPath: final + ".failed"))
  }

  @Test("leftovers of killed runs are cleaned at the next start; a backup whose page is gone is restored")
  func staleLeftovers() throws {
    defer { try? FileManager.default.removeItem(atPath: options.outputDirectory) }
    let output = options.outputDirectory
    let dead = try deadPID()
    let manager = FileManager.default
    // A page killed between its two renames: the old page sits in the backup, the final is gone.
    try manager.createDirectory(atPath: output + "/.02-convolution.old-\(dead)", withIntermediateDirectories: true)
    try Data("old page".utf8).write(to: URL(fileURLWithPath: output + "/.02-convolution.old-\(dead)/README.md"))
    // A chapter killed while staging, temporary files of interrupted writes (old names included).
    try manager.createDirectory(atPath: output + "/.97-scratch.staging-\(dead)", withIntermediateDirectories: true)
    try manager.createDirectory(atPath: output + "/05-backpropagation", withIntermediateDirectories: true)
    for file in ["README.md.tmp-\(dead)", "05-backpropagation/.x.png.\(dead).12345.tmp",
                 "05-backpropagation/results.json.tmp-\(dead)"] {
      try Data("x".utf8).write(to: URL(fileURLWithPath: output + "/" + file))
    }
    // A temporary file of a process that is still running (this one) is not touched.
    let live = "05-backpropagation/.y.png.\(getpid()).1.tmp"
    try Data("x".utf8).write(to: URL(fileURLWithPath: output + "/" + live))

    _ = try LessonRunner.run([ScratchChapter.self], options: options)
    #expect(Set(try manager.contentsOfDirectory(atPath: output))
      == ["02-convolution", "05-backpropagation", "97-scratch", "README.md"])
    #expect(contents(output + "/02-convolution/README.md") == "old page")
    #expect(try manager.contentsOfDirectory(atPath: output + "/05-backpropagation") == [(live as NSString).lastPathComponent])
  }

  @Test("work folders and temporary files are told apart from pages")
  func names() {
    func parsed(_ name: String) -> String? {
      ChapterFolder.parseWorkFolder(name).map { "\($0.base) \($0.kind) \($0.pid)" }
    }
    #expect(parsed(".08-lenet.staging-123") == "08-lenet staging 123")
    #expect(parsed(".08-lenet.old-9") == "08-lenet old 9")
    #expect(ChapterFolder.parseWorkFolder("08-lenet") == nil)
    #expect(ChapterFolder.parseWorkFolder("08-lenet.failed") == nil)
    #expect(!ChapterFolder.isStaleTemporaryFile("lenet5.ckpt"))
    #expect(!ChapterFolder.isStaleTemporaryFile("feature-maps.png"))
    #expect(ChapterFolder.isStaleTemporaryFile("lenet5.ckpt.tmp"))
  }
}

@Suite("Ctrl-C during a run")
struct InterruptTests {
  @Test("SIGINT during training stops with one line and status 130, the previous page intact")
  func interruptKeepsPreviousPage() throws {
    let output = try temporaryFolder("sigint")
    defer { try? FileManager.default.removeItem(atPath: output) }
    // A previous page (its content is a marker: the run must not replace or mix into it).
    let final = output + "/08-lenet"
    try FileManager.default.createDirectory(atPath: final, withIntermediateDirectories: true)
    let previous: [String: String] = [
      "README.md": "# previous page\n",
      "results.json": #"{"chapter": 8, "title": "LeNet", "error": null, "checks": []}"#,
      "curves.png": "previous figure",
    ]
    for (name, text) in previous { try Data(text.utf8).write(to: URL(fileURLWithPath: final + "/" + name)) }

    let process = Process()
    process.executableURL = try cnnLessonsBinary()
    // The full chapter trains for many seconds, so the signal surely arrives mid-run.
    process.arguments = ["run", "8", "--output", output]
    let errorFile = output + "/../" + (output as NSString).lastPathComponent + ".stderr"
    _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorFile) }
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    process.standardError = FileHandle(forWritingAtPath: errorFile)
    try process.run()
    // Wait until the chapter is staging its page (or 20 s), then let it run into its work.
    let staging = output + "/.08-lenet.staging-\(process.processIdentifier)"
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline && process.isRunning && !FileManager.default.fileExists(atPath: staging) {
      Thread.sleep(forTimeInterval: 0.05)
    }
    Thread.sleep(forTimeInterval: 1.5)
    #expect(process.isRunning, "the chapter ended before it could be interrupted")
    process.interrupt()
    process.waitUntilExit()

    let stderr = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
    #expect(process.terminationReason == .exit && process.terminationStatus == 130, "stderr: \(stderr)")
    let lines = stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines.first?.hasPrefix("Interrupted: chapter 8 stopped") == true, "stderr: \(stderr)")
    // The previous page, exactly; nothing staged or temporary left beside it.
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: output)) == ["08-lenet"])
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: final)) == Set(previous.keys))
    for (name, text) in previous {
      #expect((try? String(contentsOfFile: final + "/" + name, encoding: .utf8)) == text)
    }
  }
}
