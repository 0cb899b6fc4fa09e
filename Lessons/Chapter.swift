// The chapter protocol, the ordered registry of chapters, and the runner the command line calls:
// it runs chapters in order, writes each page and the index, and reports whether every check passed.

import CNN
import Foundation

/// A numbered chapter of the course: `run` computes, explains and checks, writing into the page.
public protocol Chapter {
  /// The chapter number, shown in `list` and used by `run N`.
  static var number: Int { get }
  /// The folder name after the number: `08-lenet`.
  static var slug: String { get }
  static var title: String { get }
  init()
  /// Runs the chapter top to bottom. A failed check is recorded on the page; a thrown error stops it.
  func run(_ page: Page) throws
}

/// Every chapter, in course order.
public var allChapters: [any Chapter.Type] {
  [
    ImagesAsTensors.self,
    ConvolutionByHand.self,
    PaddingStrideChannels.self,
    Pooling.self,
    Backpropagation.self,
    ConvolutionBackward.self,
    LearningAKernel.self,
    LeNet.self,
    FastConvolution.self,
    FFTAndWinograd.self,
    Optimizers.self,
    Regularisation.self,
    BatchNormalisation.self,
  ]
}

/// The numbers of every chapter, in course order.
var allChapterNumbers: [Int] { allChapters.map { $0.number } }

/// Runs chapters and writes their pages.
public enum LessonRunner {
  /// The chapters named by `selectors` (numbers, or `all`), in course order without repeats.
  /// An unknown chapter is a one-line error listing the chapters that exist.
  public static func chapters(matching selectors: [String]) throws -> [any Chapter.Type] {
    if selectors.isEmpty || selectors.contains(where: { $0.lowercased() == "all" }) { return allChapters }
    var numbers = Set<Int>()
    for selector in selectors {
      guard let number = Int(selector), allChapters.contains(where: { $0.number == number }) else {
        let known = allChapters.map { "\($0.number)" }.joined(separator: ", ")
        throw CNNError("unknown chapter '\(selector)'; the chapters are \(known), or 'all' (see `cnn-lessons list`)")
      }
      numbers.insert(number)
    }
    return allChapters.filter { numbers.contains($0.number) }
  }

  /// The outcome of one chapter.
  public struct Outcome: Sendable {
    public let summary: ChapterSummary
    public let directory: String
  }

  /// Runs `chapters` in order into `options.outputDirectory` and rewrites the index.
  /// Returns one outcome per chapter; throws when the dataset's files are missing or the output
  /// folder cannot be written, before any chapter runs.
  /// A chapter's own error (bad data, say) is printed as one line on standard error and recorded
  /// in the index; the next chapter still runs. Each page changes as a unit (`ChapterFolder`):
  /// a chapter that stops with an error keeps the last complete page and puts its error report
  /// beside it, in `NN-slug.failed`. `interrupts` (installed by the command line) makes Ctrl-C
  /// discard the page being written.
  public static func run(
    _ chapters: [any Chapter.Type], options: RunOptions, cache: RunCache = RunCache(),
    interrupts: InterruptHandler? = nil
  ) throws -> [Outcome] {
    // A missing dataset stops the run before any page is written, so committed pages survive.
    try options.dataSource.checkFilesExist()
    try createDirectory(options.outputDirectory)
    ChapterFolder.cleanStale(in: options.outputDirectory)
    let console = Console(isQuiet: options.isQuiet)
    var outcomes: [Outcome] = []
    for chapterType in chapters {
      console.line("Chapter \(chapterType.number): \(chapterType.title)"
        + "  (seed \(options.seed), \(options.isQuick ? "quick" : "full") run)")
      let final = (options.outputDirectory as NSString)
        .appendingPathComponent(Page.folderName(number: chapterType.number, slug: chapterType.slug))
      let staging = ChapterFolder.stagingPath(final: final)
      try? FileManager.default.removeItem(atPath: staging)
      interrupts?.begin(chapter: chapterType.number, staging: staging)
      var failure: String?
      let summary: ChapterSummary
      let directory: String
      do {
        let page = try Page(
          number: chapterType.number, slug: chapterType.slug, title: chapterType.title,
          options: options, cache: cache, directory: staging)
        do {
          try chapterType.init().run(page)
        } catch {
          failure = "\(error)"
          FileHandle.standardError.write(Data("Error: chapter \(chapterType.number): \(error)\n".utf8))
        }
        summary = try page.write(error: failure)
        directory = try swapInOrKeep(staging: staging, final: final, failed: failure != nil, interrupts: interrupts)
      } catch {
        try? FileManager.default.removeItem(atPath: staging)
        throw error
      }
      try ChapterIndex.write(to: options.outputDirectory)
      let pagePath = (directory as NSString).appendingPathComponent("README.md")
      if directory != final {
        console.line("  Kept the last complete page \((final as NSString).appendingPathComponent("README.md")); "
          + "this run's error report: \(pagePath)")
      }
      console.line("  Checks: \(summary.checksPassed)/\(summary.checkCount) passed"
        + (failure == nil ? "" : ", stopped by an error")
        + "  ·  \(NumberFormat.seconds.string(summary.seconds))  ·  page: \(pagePath)")
      console.line("")
      outcomes.append(Outcome(summary: summary, directory: directory))
    }
    let failed = outcomes.filter { !$0.summary.passed }
    let total = outcomes.reduce(0) { $0 + $1.summary.seconds }
    if failed.isEmpty {
      console.line("All \(outcomes.count) chapter(s) passed their checks in \(NumberFormat.seconds.string(total)). "
        + "Index: \((options.outputDirectory as NSString).appendingPathComponent("README.md"))")
    } else {
      console.line("\(failed.count) of \(outcomes.count) chapter(s) failed: "
        + failed.map { "\($0.summary.number)" }.joined(separator: ", "))
    }
    return outcomes
  }

  /// Moves a finished staging folder into place and returns where the page now is: `final`, or
  /// `NN-slug.failed` when the chapter stopped with an error and `final` holds a complete page
  /// worth keeping. A successful run removes an earlier error report.
  static func swapInOrKeep(
    staging: String, final: String, failed: Bool, interrupts: InterruptHandler?
  ) throws -> String {
    let swap = { () throws -> String in
      let report = ChapterFolder.failedPath(final: final)
      if FileManager.default.fileExists(atPath: report) { try? FileManager.default.removeItem(atPath: report) }
      if failed && ChapterFolder.holdsCompletePage(final) {
        guard rename(staging, report) == 0 else {
          throw CNNError("cannot write the error report \(report): \(String(cString: strerror(errno)))")
        }
        return report
      }
      try ChapterFolder.swapIn(staging: staging, final: final)
      return final
    }
    if let interrupts { return try interrupts.finish(swap) }
    return try swap()
  }
}
