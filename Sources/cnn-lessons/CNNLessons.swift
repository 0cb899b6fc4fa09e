// The command line: parses arguments and hands them to `LessonRunner` or `BenchmarkSession`. All
// behaviour lives in the `Lessons` and `Benchmarks` targets, so the tests can call it directly.
// Errors are thrown: ArgumentParser prints them as one `Error:` line and exits non-zero.

import ArgumentParser
import CNN
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
        cnn-lessons exercises
        cnn-lessons exercise 6
      """,
    version: CNNLessons.version,
    subcommands: [List.self, Run.self, Bench.self, Exercises.self, ExerciseCommand.self])

  /// The version `cnn-lessons --version` prints.
  static let version = "0.10.0"
}

extension DatasetName: ExpressibleByArgument {}

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

    // Read as text, unconditionally: otherwise `--seed -5` reads as a missing value followed by
    // an unknown option `-5`, and the message never says what a seed may be.
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Seed of every random draw: an integer from 0 to \(UInt64.max).", valueName: "N"))
    var seed: String = String(RunOptions.defaultSeed)

    @Option(name: .long, help: ArgumentHelp(
      "A folder of MNIST-named IDX files (raw or .gz) to use instead of the bundled MNIST.",
      valueName: "DIR"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("The dataset of the MNIST chapters.", valueName: "NAME"))
    var dataset: DatasetName = .mnist

    @Flag(name: .long, help: "Grade your code for the chapters' exercises instead (as `cnn-lessons exercise N`).")
    var exercise = false

    func run() throws {
      guard let seedValue = UInt64(seed) else {
        throw CNNError("--seed must be a non-negative integer from 0 to \(UInt64.max), got '\(seed)'")
      }
      if exercise {
        let numbers = try CNNLessons.exerciseNumbers(chapters)
        if !(try CNNLessons.gradeExercises(numbers, output: output, seed: seedValue, solution: "yours")) { throw ExitCode(1) }
        return
      }
      // Checked here rather than in validate() so the message stays one line (no usage dump).
      if chapters.isEmpty {
        throw CNNError("name the chapters to run, e.g. `cnn-lessons run 3` or `cnn-lessons run all`")
      }
      let options = RunOptions(
        outputDirectory: output, isQuick: quick, seed: seedValue, dataFolder: data, dataset: dataset)
      let outcomes = try LessonRunner.run(
        LessonRunner.chapters(matching: chapters), options: options, interrupts: InterruptHandler.install())
      if !outcomes.allSatisfy(\.summary.passed) { throw ExitCode(1) }
    }
  }
}
