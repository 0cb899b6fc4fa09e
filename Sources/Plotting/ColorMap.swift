// Colour maps turn numbers into colours. Signed data (kernels, gradients, signed feature maps)
// uses a diverging map centred on zero with symmetric limits, so white always means 0, blue
// negative and red positive; magnitudes use a sequential map; images use grey.

import CNN

/// An 8-bit RGB colour.
public struct Color: Sendable, Equatable, Hashable {
  public var red: UInt8, green: UInt8, blue: UInt8
  public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) { (self.red, self.green, self.blue) = (red, green, blue) }

  // The figure palette: page background, text, axes, grid lines, tile borders, right and wrong.
  public static let white = Color(255, 255, 255)
  public static let black = Color(0, 0, 0)
  public static let text = Color(30, 30, 30)
  static let axis = Color(60, 60, 60)
  public static let grid = Color(225, 225, 225)
  public static let border = Color(150, 150, 150)
  public static let good = Color(0, 130, 60)
  public static let bad = Color(200, 30, 30)

  /// Ten distinct colours for series and bar groups (Tableau 10), in order of use.
  public static let palette: [Color] = [
    Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40),
    Color(148, 103, 189), Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127),
    Color(188, 189, 34), Color(23, 190, 207),
  ]

  /// Perceived brightness 0...255 (ITU-R BT.601 weights), to pick black or white text on a cell.
  var luminance: Double { 0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue) }

  /// Linear blend: `self` at t = 0, `other` at t = 1.
  public func mixed(with other: Color, _ t: Double) -> Color {
    func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
    return Color(mix(red, other.red), mix(green, other.green), mix(blue, other.blue))
  }
}

/// A mapping from a fraction in [0, 1] to a colour.
public enum ColorMap: Sendable, Equatable {
  /// Blue (negative) – white (zero) – red (positive); use with symmetric limits.
  case diverging
  /// Viridis-like dark purple → blue → green → yellow, for magnitudes and counts.
  case sequential
  /// White → dark blue, for counts where low values should fade into the background.
  case blues
  /// Black → white, as images are usually shown.
  case grey
  /// White → black: ink on paper, for digits on a white page.
  case inkOnPaper

  /// Anchor colours at equal spacing; colours in between are interpolated linearly.
  var anchors: [Color] {
    switch self {
    case .diverging: Self.divergingAnchors
    case .sequential: Self.sequentialAnchors
    case .blues: Self.bluesAnchors
    case .grey: Self.greyAnchors
    case .inkOnPaper: Self.inkAnchors
    }
  }

  private static let divergingAnchors: [Color] = ColorMap.makeAnchors(.diverging)
  private static let sequentialAnchors: [Color] = ColorMap.makeAnchors(.sequential)
  private static let bluesAnchors: [Color] = ColorMap.makeAnchors(.blues)
  private static let greyAnchors: [Color] = [.black, .white]
  private static let inkAnchors: [Color] = [.white, .black]

  private static func makeAnchors(_ map: ColorMap) -> [Color] {
    switch map {
    case .diverging:
      // Ends and quarter points close to ColorBrewer's RdBu; the centre is pure white for zero.
      [Color(33, 102, 172), Color(103, 169, 207), Color(255, 255, 255), Color(239, 138, 98), Color(178, 24, 43)]
    case .sequential:
      // Nine samples along matplotlib's viridis, whose brightness rises evenly.
      [Color(68, 1, 84), Color(71, 44, 122), Color(59, 81, 139), Color(44, 113, 142), Color(33, 144, 141),
       Color(39, 173, 129), Color(92, 200, 99), Color(170, 220, 50), Color(253, 231, 37)]
    case .blues: [Color(247, 251, 255), Color(158, 202, 225), Color(66, 146, 198), Color(8, 48, 107)]
    case .grey: [.black, .white]
    case .inkOnPaper: [.white, .black]
    }
  }

  /// Whether data should be scaled symmetrically about zero (so 0 maps to the centre colour).
  var isCentredOnZero: Bool { self == .diverging }

  /// The colour at fraction `t` (clamped to [0, 1]; NaN shows as the lowest colour).
  public func color(atFraction t: Double) -> Color {
    let anchors = self.anchors
    let clamped = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
    let position = clamped * Double(anchors.count - 1)
    let index = Swift.min(anchors.count - 2, Int(position))
    return anchors[index].mixed(with: anchors[index + 1], position - Double(index))
  }

  /// The colour of `value` when `limits` spans the whole map.
  public func color(_ value: Double, limits: ClosedRange<Double>) -> Color {
    let span = limits.upperBound - limits.lowerBound
    return color(atFraction: span > 0 ? (value - limits.lowerBound) / span : 0.5)
  }

  /// The limits to use for `values`: ±max|v| for a diverging map (so zero is white), else min...max.
  /// All-zero or constant data gets a non-empty range so it still draws.
  public func limits<S: Sequence>(for values: S) -> ClosedRange<Double> where S.Element: BinaryFloatingPoint {
    var low = Double.infinity, high = -Double.infinity
    for value in values where value.isFinite {
      low = Swift.min(low, Double(value))
      high = Swift.max(high, Double(value))
    }
    guard low <= high else { return 0...1 }
    if isCentredOnZero {
      let limit = Swift.max(abs(low), abs(high))
      return limit > 0 ? -limit...limit : -1...1
    }
    return low < high ? low...high : (low - 0.5)...(high + 0.5)
  }

  /// A (H, W) tensor as an RGB image, one pixel per element.
  public func render(_ tensor: Tensor, limits: ClosedRange<Double>? = nil) -> Image {
    let (height, width) = Self.planeSize(tensor)
    let limits = limits ?? self.limits(for: tensor.scalars)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<width * height {
      let c = color(Double(tensor.scalars[i]), limits: limits)
      (pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]) = (c.red, c.green, c.blue)
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }

  /// (H, W) of a tensor shaped (H, W), (1, H, W) or (1, 1, H, W).
  static func planeSize(_ tensor: Tensor) -> (height: Int, width: Int) {
    guard tensor.rank >= 2 && tensor.shape.dropLast(2).allSatisfy({ $0 == 1 }) else {
      fatalError("expected one plane (H, W), got shape \(tensor.shape)")
    }
    return (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
  }
}
