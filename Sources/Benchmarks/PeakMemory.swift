// Peak resident memory of this process, from Linux's /proc/self/status (VmHWM, the "high water
// mark" of the resident set), for the benchmark's memory figure.

import Foundation
import CNN

enum PeakMemory {
  /// The largest resident set this process has had so far, in MiB, or nil where /proc is missing
  /// (not Linux). Comparable with Python's `resource.getrusage(RUSAGE_SELF).ru_maxrss` (KiB on Linux).
  static func residentHighWaterMark() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    return kibibytes(field: "VmHWM", in: status).map { $0 / 1024 }
  }

  /// The value of a `Name:   1234 kB` line of a /proc status file, in KiB.
  static func kibibytes(field: String, in status: String) -> Double? {
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
      // The value is padded with tabs and spaces: "VmHWM:\t  123456 kB".
      let parts = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
      if let number = parts.first.flatMap({ Double($0) }) { return number }
    }
    return nil
  }
}
