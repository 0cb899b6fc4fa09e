// The command line: parses arguments and hands them to `LessonRunner`. All behaviour lives in
// the `Lessons` and `CNN` targets, so the tests can call it directly.

import ArgumentParser
import CNN
import Foundation
import Lessons

@main
struct CNNLessons: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cnn-lessons",
    abstract: "A convolutional neural network from scratch in Swift, taught as runnable chapters.",
    discussion: """
      Each chapter runs real library code and writes a page (README.md, figures, results.json) \
      into the output folder.

      Examples:
        cnn-lessons list
        cnn-lessons run 3
        cnn-lessons run all --quick
      """,
    subcommands: [List.self, Run.self, Bench.self])

  /// Prints `Error: <one line>` on standard error and exits non-zero: no stack trace.
  static func fail(_ error: Error) -> Never {
    let line = "\(error)".components(separatedBy: .newlines).first ?? "\(error)"
    FileHandle.standardError.write(Data("Error: \(line)\n".utf8))
    Foundation.exit(1)
  }
}

extension CNNLessons {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the chapters with their numbers and titles.",
      discussion: "Example:\n  cnn-lessons list")

    func run() {
      for chapter in allChapters {
        print(String(format: "%2d  ", chapter.number) + chapter.title)
      }
    }
  }

  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run chapters and write their pages.",
      discussion: """
        Runs the chapters in course order. Each prints its steps and checks as it goes and writes \
        DIR/NN-slug/README.md, its figures and results.json; DIR/README.md indexes every chapter \
        that has run. The exit status is 0 only when every check of every chapter passed.

        Examples:
          cnn-lessons run 3                 # one chapter
          cnn-lessons run 2 5 7             # several, in course order
          cnn-lessons run all               # the whole course
          cnn-lessons run all --quick       # seconds per chapter
          cnn-lessons run 8 --seed 7        # another seed
          cnn-lessons run 1 --data ~/mnist  # IDX files from a folder
          cnn-lessons run 8 --dataset fashion
        """)

    @Argument(help: "Chapter numbers, or 'all'.")
    var chapters: [String] = []

    @Option(name: .long, help: ArgumentHelp("Folder for the pages.", valueName: "DIR"))
    var output: String = "Output"

    @Flag(name: .long, help: "Small data and few steps, so each chapter runs in seconds.")
    var quick = false

    @Option(name: .long, help: "Seed of every random draw.")
    var seed: UInt64 = RunOptions.defaultSeed

    @Option(name: .long, help: ArgumentHelp(
      "A folder of MNIST-named IDX files (raw or .gz) to use instead of the bundled MNIST.",
      valueName: "DIR"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("mnist or fashion.", valueName: "NAME"))
    var dataset: String = "mnist"

    func run() throws {
      // Checked here rather than in validate() so the message stays one line (no usage dump).
      if chapters.isEmpty {
        CNNLessons.fail(CNNError("name the chapters to run, e.g. `cnn-lessons run 3` or `cnn-lessons run all`"))
      }
      if !["mnist", "fashion"].contains(dataset.lowercased()) {
        CNNLessons.fail(CNNError("unknown dataset '\(dataset)'; use mnist or fashion"))
      }
      let options = RunOptions(
        outputDirectory: output, isQuick: quick, seed: seed, dataFolder: data,
        dataset: dataset.lowercased())
      let outcomes: [LessonRunner.Outcome]
      do {
        let selected = try LessonRunner.chapters(matching: chapters)
        outcomes = try LessonRunner.run(selected, options: options, interrupts: InterruptHandler.install())
      } catch {
        CNNLessons.fail(error)
      }
      if !outcomes.allSatisfy(\.summary.passed) { throw ExitCode(1) }
    }
  }
}
