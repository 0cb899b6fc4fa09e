// Console output for lessons: step lines as they happen, and a progress bar with rate and time
// left for long loops. The bar redraws in place only on a terminal; in a pipe or a log file it
// prints a plain line every few seconds instead.

import Foundation

/// Where a lesson's console lines go.
public struct Console: Sendable {
  /// Whether standard output is a terminal (then progress bars redraw in place).
  public let isTerminal: Bool
  /// Prints nothing when true (tests that only inspect the written pages).
  public let isQuiet: Bool

  public init(isQuiet: Bool = false) {
    self.isQuiet = isQuiet
    isTerminal = isatty(STDOUT_FILENO) == 1
  }

  /// Prints one line and flushes, so lines appear as they happen even in a pipe.
  public func line(_ text: String) {
    guard !isQuiet else { return }
    print(text)
    fflush(nil)
  }

  /// Overwrites the current terminal line (no newline).
  func redraw(_ text: String) {
    guard !isQuiet else { return }
    print("\r\u{1B}[2K" + text, terminator: "")
    fflush(nil)
  }
}

/// A progress bar for a loop of known length: `progress.advance(by: 64, status: "loss 0.31")`.
public final class Progress {
  public let label: String
  public let total: Int
  /// What one unit is called in the rate ("images" → "1,234 images/s").
  public let unit: String
  private let console: Console
  private let start = ContinuousClock.now
  private var lastDraw = ContinuousClock.now
  private var lastPlainLine = ContinuousClock.now
  private(set) public var completed = 0
  private var isFinished = false

  public init(_ label: String, total: Int, unit: String = "steps", console: Console) {
    self.label = label
    self.total = max(1, total)
    self.unit = unit
    self.console = console
  }

  /// Seconds since the bar was created.
  public var elapsedSeconds: Double { seconds(ContinuousClock.now - start) }

  /// Records `count` more units done and redraws when due (at most 10 times a second).
  public func advance(by count: Int = 1, status: String = "") {
    completed = min(total, completed + count)
    let now = ContinuousClock.now
    if console.isTerminal {
      if completed == total || seconds(now - lastDraw) >= 0.1 {
        console.redraw(render(status: status))
        lastDraw = now
      }
    } else if seconds(now - lastPlainLine) >= 10 {
      console.line(render(status: status))
      lastPlainLine = now
    }
  }

  /// Ends the bar with a final line stating the total time and rate.
  public func finish(status: String = "") {
    guard !isFinished else { return }
    isFinished = true
    let elapsed = elapsedSeconds
    let rate = Double(completed) / max(elapsed, 1e-9)
    let text = "    \(label): \(groupedInteger(completed)) \(unit) in \(NumberFormat.seconds.string(elapsed))"
      + " (\(Progress.rateText(rate)) \(unit)/s)" + (status.isEmpty ? "" : "  \(status)")
    if console.isTerminal { console.redraw(text); console.line("") } else { console.line(text) }
  }

  private func render(status: String) -> String {
    let fraction = Double(completed) / Double(total)
    let width = 24
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let elapsed = elapsedSeconds
    let rate = Double(completed) / max(elapsed, 1e-9)
    let remaining = rate > 0 ? Double(total - completed) / rate : 0
    return "    \(label) [\(bar)] \(Int(fraction * 100))%  \(Progress.rateText(rate)) \(unit)/s"
      + "  \(clock(remaining)) left" + (status.isEmpty ? "" : "  \(status)")
  }

  /// A rate as a reader wants it: whole and grouped from 10 up, two significant digits below.
  static func rateText(_ rate: Double) -> String {
    rate >= 10 ? groupedInteger(Int(rate)) : String(format: "%.2g", rate)
  }

  private func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return String(format: "%d:%02d", whole / 60, whole % 60)
  }
}

/// A Duration in seconds as a Double.
func seconds(_ duration: Duration) -> Double {
  let (whole, attoseconds) = duration.components
  return Double(whole) + Double(attoseconds) * 1e-18
}
