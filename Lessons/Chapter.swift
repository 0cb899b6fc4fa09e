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
  /// on its page; the next chapter still runs.
  public static func run(
    _ chapters: [any Chapter.Type], options: RunOptions, cache: RunCache = RunCache()
  ) throws -> [Outcome] {
    // A missing dataset stops the run before any page is written, so committed pages survive.
    try options.dataSource.checkFilesExist()
    try createDirectory(options.outputDirectory)
    let console = Console(isQuiet: options.isQuiet)
    var outcomes: [Outcome] = []
    for chapterType in chapters {
      console.line("Chapter \(chapterType.number): \(chapterType.title)"
        + "  (seed \(options.seed), \(options.isQuick ? "quick" : "full") run)")
      let page = try Page(
        number: chapterType.number, slug: chapterType.slug, title: chapterType.title,
        options: options, cache: cache)
      var failure: String?
      do {
        try chapterType.init().run(page)
      } catch {
        failure = "\(error)"
        FileHandle.standardError.write(Data("Error: chapter \(chapterType.number): \(error)\n".utf8))
      }
      let summary = try page.write(error: failure)
      try ChapterIndex.write(to: options.outputDirectory)
      let pagePath = (page.directory as NSString).appendingPathComponent("README.md")
      console.line("  Checks: \(summary.checksPassed)/\(summary.checkCount) passed"
        + (failure == nil ? "" : ", stopped by an error")
        + "  ·  \(NumberFormat.seconds.string(summary.seconds))  ·  page: \(pagePath)")
      console.line("")
      outcomes.append(Outcome(summary: summary, directory: page.directory))
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
}
