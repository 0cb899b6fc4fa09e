// What several chapters share: the dataset chosen on the command line (loaded once per run),
// the PyTorch fixtures committed with the tests, and small tensor helpers for figures.

import CNN
import Foundation
import Plotting

extension RunOptions {
  /// Where the dataset comes from: `--dataset fashion`, `--data DIR`, or the bundled MNIST.
  var dataSource: DataSource {
    if dataset == .fashion { return .fashionMNIST }
    if let folder = dataFolder { return .folder(folder) }
    return .bundledMNIST
  }
}

extension Page {
  /// Where the run's dataset comes from (see `RunOptions.dataSource`).
  var dataSource: DataSource { options.dataSource }

  /// One split of the run's dataset, loaded once per run and shared by the chapters.
  func dataset(_ split: Dataset.Split) throws -> Dataset {
    try cache.value("dataset.\(split.rawValue)") { try Dataset.load(dataSource, split: split) }
  }

  /// One split of the run's dataset, or a one-line error when it holds fewer than `minimum`
  /// images (a small `--data` folder): `purpose` says what the chapter needs them for.
  public func dataset(_ split: Dataset.Split, atLeast minimum: Int, for purpose: String) throws -> Dataset {
    let data = try dataset(split)
    guard data.count >= minimum else {
      let kind = split == .train ? "training" : "test"
      throw CNNError(
        "needs at least \(minimum) \(kind) image\(minimum == 1 ? "" : "s") (\(purpose)), got \(data.count) in \(data.name)")
    }
    return data
  }
}

/// The package's root folder, found from this source file (the lessons run from a checkout).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

extension Fixture {
  /// `Tests/CNNTests/Fixtures/<name>.json` from the source checkout (written by `make_fixtures.py`).
  static func pyTorch(_ name: String) throws -> Fixture {
    try load(name, in: URL(fileURLWithPath: packageRoot + "/Tests/CNNTests/Fixtures"))
  }
}

extension Tensor {
  /// The (H, W) plane `[n, c]` of an (N, C, H, W) tensor.
  func plane(_ n: Int, _ c: Int) -> Tensor {
    guard rank == 4 else { fatalError("plane needs an (N, C, H, W) tensor, got \(shape)") }
    let (h, w) = (shape[2], shape[3])
    let start = (n * shape[1] + c) * h * w
    return Tensor(shape: [h, w], scalars: Array(scalars[start..<start + h * w]))
  }

  /// A 2-D (H, W) tensor as a (1, 1, H, W) batch of one image.
  func asImageBatch() -> Tensor {
    guard rank == 2 else { fatalError("asImageBatch needs an (H, W) tensor, got \(shape)") }
    return reshaped(to: [1, 1, shape[0], shape[1]])
  }

  /// The kernel turned by 180 degrees in its last two dimensions (flipped up–down and left–right).
  func rotated180() -> Tensor {
    let (h, w) = (shape[rank - 2], shape[rank - 1])
    var result = self
    let planes = count / (h * w)
    for p in 0..<planes {
      for i in 0..<h {
        for j in 0..<w {
          result.scalars[p * h * w + i * w + j] = scalars[p * h * w + (h - 1 - i) * w + (w - 1 - j)]
        }
      }
    }
    return result
  }

  /// The largest absolute value (the symmetric range of a diverging colour map).
  func maxMagnitude() -> Float { scalars.reduce(0) { Swift.max($0, abs($1)) } }
}

// Added for chapters 9 and 10 (fast convolution): timings, relative errors, heatmap rows.

/// A time in seconds as milliseconds for a table.
func milliseconds(_ seconds: Double) -> String {
  formatted(seconds * 1e3, seconds < 0.01 ? .fixed(2) : .fixed(1)) + " ms"
}

/// max |a − b| / max |b|: a difference relative to the reference's scale.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
  a.maxAbsDifference(b) / max(b.maxMagnitude(), Float.leastNormalMagnitude)
}

extension Tensor {
  /// The rows of a 2-D tensor as Doubles, for `heatmap`.
  func rows() -> [[Double]] {
    guard rank == 2 else { fatalError("rows needs an (H, W) tensor, got \(shape)") }
    return (0..<shape[0]).map { r in (0..<shape[1]).map { Double(scalars[r * shape[1] + $0]) } }
  }
}

/// A heatmap cell size at least `minimum` and wide enough that `columns` cells span `title`
/// (the heatmap centres its title over the cells, so a narrow matrix would clip a long title).
func cellSize(fitting title: String, columns: Int, minimum: Int) -> Int {
  max(minimum, (BitmapFont.width(of: title) + 12 + columns - 1) / columns)
}
