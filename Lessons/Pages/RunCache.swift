// Objects kept between the chapters of one run, so a dataset is loaded once per run.

import Foundation

/// Objects worth keeping between the chapters of one run (a loaded dataset, a trained model).
///
/// Chapters run one after another, but the tests share one cache across test functions, so the
/// dictionary is guarded by a lock (hence `@unchecked Sendable`).
public final class RunCache: @unchecked Sendable {
  private var values: [String: Any] = [:]
  private let lock = NSLock()
  public init() {}

  /// The cached value for `key`, computing and keeping it on first use.
  public func value<T>(_ key: String, orMake make: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    if let value = values[key] as? T { return value }
    let value = try make()
    values[key] = value
    return value
  }
}
