// The options every chapter of one run shares, as the command line sets them.

/// The options every chapter of one run shares.
public struct RunOptions: Sendable {
  /// The folder that receives one sub-folder per chapter and the index `README.md`.
  public var outputDirectory: String
  /// Small data and few steps, so each chapter runs in seconds (the tests use it).
  public var isQuick: Bool
  /// The seed of every random draw; printed on each page.
  public var seed: UInt64
  /// A folder of MNIST-named IDX files (raw or .gz) to use instead of the bundled MNIST.
  public var dataFolder: String?
  /// Which dataset the MNIST chapters read.
  public var dataset: DatasetName
  /// Prints nothing to the console when true.
  public var isQuiet: Bool

  public static let defaultSeed: UInt64 = 42

  public init(
    outputDirectory: String = "Output", isQuick: Bool = false, seed: UInt64 = RunOptions.defaultSeed,
    dataFolder: String? = nil, dataset: DatasetName = .mnist, isQuiet: Bool = false
  ) {
    self.outputDirectory = outputDirectory
    self.isQuick = isQuick
    self.seed = seed
    self.dataFolder = dataFolder
    self.dataset = dataset
    self.isQuiet = isQuiet
  }
}

/// The datasets the MNIST chapters can read (`--dataset`).
public enum DatasetName: String, CaseIterable, Sendable {
  /// Handwritten digits: the bundled MNIST, or the IDX files of `--data DIR`.
  case mnist
  /// Zalando's Fashion-MNIST from Debian's `dataset-fashion-mnist` package.
  case fashion
}
