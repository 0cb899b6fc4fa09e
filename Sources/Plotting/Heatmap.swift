// A heatmap: a matrix as coloured cells with row and column labels, the value written in each
// cell (black or white, whichever reads better on the cell), and a colour bar. The confusion
// matrix of chapter 8 is the typical use.

import CNN

/// Draws `matrix` (rows of equal length) as coloured cells.
///
/// - Parameters:
///   - annotate: write each value in its cell (when it fits).
///   - limits: the value range of the colour map; nil fits the data (symmetric for `.diverging`).
///   - format: how a value is written in its cell.
public func heatmap(
  _ matrix: [[Double]], rowLabels: [String] = [], columnLabels: [String] = [], title: String = "",
  xLabel: String = "", yLabel: String = "", colorMap: ColorMap = .blues, limits: ClosedRange<Double>? = nil,
  annotate: Bool = true, format: (Double) -> String = compactNumber, cellSize: Int? = nil
) -> Image {
  let scale = BitmapFont.defaultScale
  let rows = matrix.count, columns = matrix.map(\.count).max() ?? 0
  guard rows > 0, columns > 0 else {
    var canvas = Canvas(width: 320, height: 60)
    canvas.drawText(title.isEmpty ? "(empty matrix)" : title + ": (empty)", x: 10, y: 20)
    return canvas.image
  }
  let limits = limits ?? colorMap.limits(for: matrix.joined())
  let texts = matrix.map { $0.map(format) }
  let textWidth = annotate ? texts.joined().map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0 : 0
  // Without numbers in the cells, long vectors (e.g. 120 dense activations) get narrower cells
  // so the figure stays under about 1000 pixels wide.
  let minimumCell = annotate ? 28 : max(6, min(28, 960 / columns))
  let cell = cellSize ?? max(minimumCell, textWidth + (annotate ? 16 : 0),
                             BitmapFont.width(of: columnLabels.max { $0.count < $1.count } ?? "", scale: scale) + 6)
  let rowLabelWidth = rowLabels.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
  let lineHeight = BitmapFont.lineHeight * scale

  let left = 12 + (yLabel.isEmpty ? 0 : BitmapFont.glyphHeight * scale + 14) + rowLabelWidth + 8
  let titleHeight = title.isEmpty ? 10 : BitmapFont.height(of: title, scale: scale) + 20
  let top = titleHeight + (columnLabels.isEmpty ? 0 : lineHeight + 4) + (xLabel.isEmpty ? 0 : lineHeight + 6)
  let gridWidth = columns * cell, gridHeight = rows * cell
  let barLeft = left + gridWidth + 16
  let width = max(barLeft + ColorBar.width(limits: limits) + 8, BitmapFont.width(of: title, scale: scale) + 24)
  let height = top + max(gridHeight, 100) + 14
  var canvas = Canvas(width: width, height: height)

  if !title.isEmpty {
    // Centred over the cells, but shifted right when a narrow matrix would clip a long title.
    let titleWidth = BitmapFont.width(of: title, scale: scale)
    let titleCentre = max(left + gridWidth / 2, titleWidth / 2 + 8)
    canvas.drawText(title, x: titleCentre, y: 10, color: .black, anchor: .center, bold: true)
  }
  // Column labels and the x label go on top, where a confusion matrix is usually read from.
  if !xLabel.isEmpty { canvas.drawText(xLabel, x: left + gridWidth / 2, y: titleHeight, anchor: .center) }
  for (c, label) in columnLabels.prefix(columns).enumerated() {
    canvas.drawText(label, x: left + c * cell + cell / 2, y: top - lineHeight, anchor: .center)
  }
  for (r, label) in rowLabels.prefix(rows).enumerated() {
    canvas.drawText(label, x: left - 8, y: top + r * cell + (cell - BitmapFont.glyphHeight * scale) / 2 + scale, anchor: .trailing)
  }
  if !yLabel.isEmpty {
    canvas.drawVerticalText(yLabel, centerX: 12 + BitmapFont.glyphHeight * scale / 2, centerY: top + gridHeight / 2)
  }
  for r in 0..<rows {
    for c in 0..<matrix[r].count {
      let value = matrix[r][c]
      let color = colorMap.color(value, limits: limits)
      canvas.fillRect(x: left + c * cell, y: top + r * cell, width: cell, height: cell, color: color)
      let text = texts[r][c]
      if annotate && BitmapFont.width(of: text, scale: scale) <= cell - 4 {
        canvas.drawText(text, x: left + c * cell + cell / 2, y: top + r * cell + (cell - BitmapFont.glyphHeight * scale) / 2 + scale,
                        color: color.luminance < 140 ? .white : .black, anchor: .center)
      }
    }
  }
  canvas.strokeRect(x: left - 1, y: top - 1, width: gridWidth + 2, height: gridHeight + 2, color: .border)
  ColorBar.draw(on: &canvas, colorMap: colorMap, limits: limits, left: barLeft, top: top, height: max(gridHeight, 100))
  return canvas.image
}

/// A (R, C) tensor as a heatmap.
public func heatmap(
  _ matrix: Tensor, rowLabels: [String] = [], columnLabels: [String] = [], title: String = "",
  xLabel: String = "", yLabel: String = "", colorMap: ColorMap = .diverging, annotate: Bool = true
) -> Image {
  let (rows, columns) = ColorMap.planeSize(matrix)
  let values = (0..<rows).map { r in (0..<columns).map { Double(matrix.scalars[r * columns + $0]) } }
  return heatmap(values, rowLabels: rowLabels, columnLabels: columnLabels, title: title, xLabel: xLabel,
                 yLabel: yLabel, colorMap: colorMap, annotate: annotate)
}
