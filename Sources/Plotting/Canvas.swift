// A white RGB drawing surface with the few primitives the figures need: rectangles, lines,
// dots, text from the bitmap font (horizontal or rotated), pasted images. Off-canvas drawing is
// clipped, never a crash.

/// How text is placed relative to the point given.
enum TextAnchor: Sendable { case leading, center, trailing }

/// An RGB image being drawn.
public struct Canvas: Sendable {
  public let width: Int
  public let height: Int
  /// RGB bytes, row-major.
  public private(set) var pixels: [UInt8]
  /// Glyph pixels (text) that fell outside the canvas and were clipped, including those of
  /// pasted images; a legible figure has none (the chapter-run tests assert it).
  public private(set) var clippedTextPixels = 0

  /// A canvas filled with `background`.
  public init(width: Int, height: Int, background: Color = .white) {
    guard width > 0 && height > 0 else { fatalError("Canvas needs a positive size, got \(width)x\(height)") }
    self.width = width
    self.height = height
    pixels = [UInt8](repeating: 0, count: width * height * 3)
    fillRect(x: 0, y: 0, width: width, height: height, color: background)
  }

  /// The finished picture.
  public var image: Image {
    var image = Image(width: width, height: height, channels: 3, pixels: pixels)
    image.clippedTextPixels = clippedTextPixels
    return image
  }

  /// Whether the pixel (x, y) lies on the canvas.
  @inline(__always) func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

  /// Colours one pixel; coordinates outside the canvas are ignored.
  @inline(__always) public mutating func setPixel(x: Int, y: Int, _ color: Color) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    let i = (y * width + x) * 3
    pixels[i] = color.red
    pixels[i + 1] = color.green
    pixels[i + 2] = color.blue
  }

  /// Fills the rectangle with top-left corner (x, y), clipped to the canvas.
  mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: Color) {
    let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
    guard x0 < x1, y0 < y1 else { return }
    for row in y0..<y1 {
      for column in x0..<x1 { setPixel(x: column, y: row, color) }
    }
  }

  /// A rectangle outline `thickness` pixels wide, drawn inside the rectangle.
  mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: Color, thickness: Int = 1) {
    fillRect(x: x, y: y, width: w, height: thickness, color: color)
    fillRect(x: x, y: y + h - thickness, width: w, height: thickness, color: color)
    fillRect(x: x, y: y, width: thickness, height: h, color: color)
    fillRect(x: x + w - thickness, y: y, width: thickness, height: h, color: color)
  }

  /// A straight line by Bresenham's algorithm; `thickness` > 1 stamps a square brush at each
  /// step; `dash` > 0 draws `dash` steps on, `dash` steps off.
  mutating func drawLine(
    from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: Color, thickness: Int = 1, dash: Int = 0
  ) {
    // Lines far outside the canvas (e.g. a huge value on a chart) are clamped to stay cheap.
    let limit = 4 * (width + height)
    func clamp(_ v: Int) -> Int { min(limit, max(-limit, v)) }
    var (x, y) = (clamp(start.x), clamp(start.y))
    let (x1, y1) = (clamp(end.x), clamp(end.y))
    let dx = abs(x1 - x), dy = -abs(y1 - y)
    let sx = x < x1 ? 1 : -1, sy = y < y1 ? 1 : -1
    var error = dx + dy
    var step = 0
    let offset = (thickness - 1) / 2
    while true {
      if dash == 0 || (step / dash) % 2 == 0 {
        if thickness == 1 { setPixel(x: x, y: y, color) }
        else { fillRect(x: x - offset, y: y - offset, width: thickness, height: thickness, color: color) }
      }
      if x == x1 && y == y1 { break }
      let twice = 2 * error
      if twice >= dy { error += dy; x += sx }
      if twice <= dx { error += dx; y += sy }
      step += 1
    }
  }

  /// A filled disc of radius `radius` centred at (x, y).
  mutating func fillCircle(x: Int, y: Int, radius: Int, color: Color) {
    for dy in -radius...radius {
      for dx in -radius...radius where dx * dx + dy * dy <= radius * radius + radius {
        setPixel(x: x + dx, y: y + dy, color)
      }
    }
  }

  /// Draws `text` (which may hold "\n") with its top edge at `y`; `anchor` says whether `x` is
  /// the left edge, centre or right edge of each line. `bold` doubles each stroke sideways.
  mutating func drawText(
    _ text: String, x: Int, y: Int, color: Color = .text, scale: Int = BitmapFont.defaultScale,
    anchor: TextAnchor = .leading, bold: Bool = false
  ) {
    for (lineIndex, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lineWidth = BitmapFont.width(of: String(line), scale: scale)
      var left: Int
      switch anchor {
      case .leading: left = x
      case .center: left = x - lineWidth / 2
      case .trailing: left = x - lineWidth
      }
      let top = y + lineIndex * BitmapFont.lineHeight * scale
      for character in line {
        let rows = BitmapFont.glyph(character)
        for (row, bits) in rows.enumerated() {
          for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
            let px = left + column * scale, py = top + row * scale
            if !contains(x: px, y: py) || !contains(x: px + scale - 1, y: py + scale - 1) { clippedTextPixels += 1 }
            fillRect(x: left + column * scale, y: top + row * scale, width: scale + (bold ? 1 : 0),
                     height: scale, color: color)
          }
        }
        left += BitmapFont.advance * scale
      }
    }
  }

  /// Draws one line of text rotated 90° anticlockwise (reading bottom to top), centred on
  /// (x, y) – the usual y-axis label.
  mutating func drawVerticalText(
    _ text: String, centerX: Int, centerY: Int, color: Color = .text, scale: Int = BitmapFont.defaultScale
  ) {
    let length = BitmapFont.width(of: text, scale: scale)
    let thickness = BitmapFont.glyphHeight * scale
    // Draw horizontally on a scratch canvas, then copy each pixel rotated: (u, v) → (v, length − 1 − u).
    var scratch = Canvas(width: max(1, length), height: thickness, background: .white)
    scratch.drawText(text, x: 0, y: 0, color: color, scale: scale)
    let left = centerX - thickness / 2, top = centerY - length / 2
    for v in 0..<thickness {
      for u in 0..<length {
        let i = (v * scratch.width + u) * 3
        let c = Color(scratch.pixels[i], scratch.pixels[i + 1], scratch.pixels[i + 2])
        guard c != .white else { continue }
        if !contains(x: left + v, y: top + length - 1 - u) { clippedTextPixels += 1 }
        setPixel(x: left + v, y: top + length - 1 - u, c)
      }
    }
  }

  /// Pastes `image` (grey or RGB) with its top-left corner at (x, y).
  public mutating func draw(_ image: Image, x: Int, y: Int) {
    clippedTextPixels += image.clippedTextPixels
    for row in 0..<image.height {
      for column in 0..<image.width {
        let i = (row * image.width + column) * image.channels
        let c = image.channels == 3
          ? Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
          : Color(image.pixels[i], image.pixels[i], image.pixels[i])
        setPixel(x: x + column, y: y + row, c)
      }
    }
  }
}

extension Image {
  /// Each pixel becomes a `factor` x `factor` block (nearest neighbour): small kernels stay
  /// sharp squares instead of being blurred by interpolation.
  public func enlarged(by factor: Int) -> Image {
    guard factor >= 1 else { fatalError("enlargement factor must be at least 1, got \(factor)") }
    guard factor > 1 else { return self }
    let newWidth = width * factor
    var out = [UInt8](repeating: 0, count: newWidth * height * factor * channels)
    for y in 0..<height * factor {
      for x in 0..<newWidth {
        let source = ((y / factor) * width + x / factor) * channels
        let target = (y * newWidth + x) * channels
        for c in 0..<channels { out[target + c] = pixels[source + c] }
      }
    }
    return Image(width: newWidth, height: height * factor, channels: channels, pixels: out)
  }

  /// The same picture with three channels (grey copied to R, G and B).
  public func rgb() -> Image {
    guard channels == 1 else { return self }
    return Image(width: width, height: height, channels: 3, pixels: pixels.flatMap { [$0, $0, $0] })
  }

  /// Figures side by side (`horizontally`) or one above the other, top-aligned, on white.
  public static func stacked(_ images: [Image], horizontally: Bool, gap: Int = 12) -> Image {
    let along = images.reduce(0) { $0 + (horizontally ? $1.width : $1.height) } + gap * max(0, images.count - 1)
    let across = images.map { horizontally ? $0.height : $0.width }.max() ?? 1
    var canvas = Canvas(width: max(1, horizontally ? along : across), height: max(1, horizontally ? across : along))
    var offset = 0
    for image in images {
      canvas.draw(image, x: horizontally ? offset : 0, y: horizontally ? 0 : offset)
      offset += (horizontally ? image.width : image.height) + gap
    }
    return canvas.image
  }
}
