// A grid of small pictures (digits, kernels, feature maps) with a label per tile. Each tile is
// enlarged by nearest neighbour so a 5x5 kernel shows as crisp 80x80 squares, and signed data
// gets the diverging colour map with zero in white.

import CNN

/// How tile values map to colours.
public enum TileScaling: Sendable, Equatable {
  /// One range for all tiles, so tiles can be compared (e.g. all kernels of a layer).
  case shared
  /// Each tile uses its own range, to see the pattern inside each one.
  case perTile
  /// A fixed range, e.g. 0...1 for pixels.
  case fixed(ClosedRange<Double>)
}

/// Where labels go relative to their tile.
public enum LabelPosition: Sendable { case above, below }

/// Tiles of (H, W) tensors (or (1, H, W)) in rows of `columns`, with labels, borders and,
/// for shared or fixed scaling, a colour bar saying which colour is which value.
///
/// - Parameters:
///   - labels: one per tile (may contain "\n"); empty for none.
///   - labelColors: optional colour per label (e.g. green right, red wrong).
///   - enlargement: pixels per element; nil picks one so tiles are about 84 pixels across.
public func imageGrid(
  _ tiles: [Tensor], labels: [String] = [], labelColors: [Color] = [], columns: Int? = nil,
  colorMap: ColorMap = .grey, scaling: TileScaling = .shared, enlargement: Int? = nil,
  title: String = "", labelPosition: LabelPosition = .below, showColorBar: Bool? = nil
) -> Image {
  guard !tiles.isEmpty else {
    var canvas = Canvas(width: 320, height: 60)
    canvas.drawText(title.isEmpty ? "(no tiles)" : title + ": (no tiles)", x: 10, y: 20)
    return canvas.image
  }
  let scale = BitmapFont.defaultScale
  let sizes = tiles.map(ColorMap.planeSize)
  let maxSide = sizes.map { max($0.height, $0.width) }.max()!
  let factor = enlargement ?? max(1, 84 / maxSide)
  let tileWidth = sizes.map(\.width).max()! * factor, tileHeight = sizes.map(\.height).max()! * factor
  let columnCount = max(1, min(tiles.count, columns ?? Int(Double(tiles.count).squareRoot().rounded(.up))))
  let rowCount = (tiles.count + columnCount - 1) / columnCount

  let labelHeight = labels.isEmpty ? 0 : labels.map { BitmapFont.height(of: $0, scale: scale) }.max()! + 6
  let labelWidth = labels.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
  let cellWidth = max(tileWidth + 2, labelWidth) + 20, cellHeight = tileHeight + 2 + labelHeight + 12
  let titleHeight = title.isEmpty ? 0 : BitmapFont.height(of: title, scale: scale) + 16

  let sharedLimits: ClosedRange<Double>?
  switch scaling {
  case .shared: sharedLimits = colorMap.limits(for: tiles.lazy.flatMap(\.scalars))
  case .fixed(let range): sharedLimits = range
  case .perTile: sharedLimits = nil
  }
  let drawsBar = (showColorBar ?? (sharedLimits != nil && colorMap != .grey && colorMap != .inkOnPaper)) && sharedLimits != nil
  let barWidth = drawsBar ? ColorBar.width(limits: sharedLimits!) : 0
  let gridWidth = columnCount * cellWidth
  let width = max(gridWidth + barWidth + 12, title.isEmpty ? 0 : BitmapFont.width(of: title, scale: scale) + 24)
  let height = max(titleHeight + rowCount * cellHeight + 8, drawsBar ? titleHeight + 160 : 0)
  var canvas = Canvas(width: width, height: height)
  if !title.isEmpty {
    canvas.drawText(title, x: gridWidth / 2 + 6, y: 10, color: .black, anchor: .center, bold: true)
  }
  for (i, tile) in tiles.enumerated() {
    let cellLeft = 6 + (i % columnCount) * cellWidth, cellTop = titleHeight + (i / columnCount) * cellHeight + 6
    let picture = colorMap.render(tile, limits: sharedLimits).enlarged(by: factor)
    let tileLeft = cellLeft + (cellWidth - picture.width - 2) / 2
    let tileTop = cellTop + (labelPosition == .above ? labelHeight : 0)
    canvas.strokeRect(x: tileLeft, y: tileTop, width: picture.width + 2, height: picture.height + 2, color: .border)
    canvas.draw(picture, x: tileLeft + 1, y: tileTop + 1)
    if i < labels.count {
      let labelTop = labelPosition == .above ? cellTop : tileTop + picture.height + 2 + 5
      let color = i < labelColors.count ? labelColors[i] : .text
      canvas.drawText(labels[i], x: cellLeft + cellWidth / 2, y: labelTop, color: color, anchor: .center)
    }
  }
  if drawsBar {
    ColorBar.draw(on: &canvas, colorMap: colorMap, limits: sharedLimits!, left: gridWidth + 12,
                  top: titleHeight + 10, height: max(120, min(300, height - titleHeight - 30)))
  }
  return canvas.image
}

/// A vertical strip of the colour map with value labels, so a colour can be read as a number.
enum ColorBar {
  static let stripWidth = 16

  static func width(limits: ClosedRange<Double>) -> Int {
    let labels = Axis(covering: [limits.lowerBound, limits.upperBound], exact: limits, targetTicks: 6).tickLabels
      + [compactNumber(limits.lowerBound), compactNumber(limits.upperBound)]
    return stripWidth + 10 + (labels.map { BitmapFont.width(of: $0) }.max() ?? 0) + 12
  }

  static func draw(on canvas: inout Canvas, colorMap: ColorMap, limits: ClosedRange<Double>, left: Int, top: Int, height: Int) {
    for row in 0..<height {
      let t = 1 - Double(row) / Double(height - 1)
      canvas.fillRect(x: left, y: top + row, width: stripWidth, height: 1, color: colorMap.color(atFraction: t))
    }
    canvas.strokeRect(x: left - 1, y: top - 1, width: stripWidth + 2, height: height + 2, color: .border)
    // About one labelled tick per 40 pixels, so short bars do not crowd their labels; the two
    // ends are labelled too when no tick is near them, so the range can always be read off.
    let axis = Axis(covering: [limits.lowerBound, limits.upperBound], exact: limits, targetTicks: max(3, min(6, height / 40)))
    func rowOf(_ value: Double) -> Int { top + height - 1 - Int((axis.fraction(value) * Double(height - 1)).rounded()) }
    var labelled = Array(zip(axis.ticks.map(rowOf), axis.tickLabels))
    for end in [limits.lowerBound, limits.upperBound] where !labelled.contains(where: { abs($0.0 - rowOf(end)) < 18 }) {
      labelled.append((rowOf(end), compactNumber(end)))
    }
    for (y, label) in labelled {
      canvas.drawLine(from: (left + stripWidth, y), to: (left + stripWidth + 4, y), color: .axis)
      canvas.drawText(label, x: left + stripWidth + 8, y: y - BitmapFont.glyphHeight * BitmapFont.defaultScale / 2 + 2)
    }
  }
}
