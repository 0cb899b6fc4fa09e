// What line, bar and scatter charts share: an axis that maps data to pixels with "nice" tick
// values (1, 2 or 5 times a power of ten, after Heckbert, Graphics Gems 1990), optional log
// scale, tick labels, grid lines, a title, axis labels and a legend.

import Foundation

/// One axis: a data range, linear or logarithmic, and its tick values.
struct Axis: Sendable {
  let lower: Double
  let upper: Double
  let isLog: Bool
  let ticks: [Double]

  /// An axis covering `values`; nice bounds unless `exact`. Log axes ignore values ≤ 0.
  init(covering values: [Double], isLog: Bool = false, includeZero: Bool = false,
              exact: ClosedRange<Double>? = nil, targetTicks: Int = 6) {
    self.isLog = isLog
    var finite = values.filter { $0.isFinite && (!isLog || $0 > 0) }
    if includeZero && !isLog { finite.append(0) }
    var low = finite.min() ?? (isLog ? 1 : 0)
    var high = finite.max() ?? (isLog ? 10 : 1)
    if let exact { (low, high) = (exact.lowerBound, exact.upperBound) }
    if isLog {
      var lowExponent = floor(log10(low)), highExponent = ceil(log10(high))
      if lowExponent == highExponent { lowExponent -= 1; highExponent += 1 }
      if exact == nil { (low, high) = (pow(10, lowExponent), pow(10, highExponent)) }
      // One tick per decade; with few decades add 2 and 5 so the reader has landmarks.
      let decades = Int(highExponent - lowExponent)
      let stride = max(1, Int((Double(decades) / Double(targetTicks)).rounded(.up)))
      var ticks: [Double] = []
      for e in Swift.stride(from: Int(lowExponent), through: Int(highExponent), by: stride) {
        let base = pow(10, Double(e))
        ticks.append(base)
        if decades <= 2 { ticks += [2 * base, 5 * base] }
      }
      self.ticks = ticks.filter { $0 >= low * (1 - 1e-9) && $0 <= high * (1 + 1e-9) }
    } else {
      if low == high { (low, high) = (low - max(1, abs(low) * 0.1), high + max(1, abs(high) * 0.1)) }
      let step = Axis.niceNumber((high - low) / Double(max(1, targetTicks - 1)), round: true)
      if exact == nil { (low, high) = (floor(low / step) * step, ceil(high / step) * step) }
      var ticks: [Double] = []
      var tick = ceil(low / step - 1e-9) * step
      while tick <= high + step * 1e-9 {
        ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
        tick += step
      }
      self.ticks = ticks
    }
    (lower, upper) = (low, high)
  }

  /// A number near `x` of the form 1, 2 or 5 times a power of ten.
  static func niceNumber(_ x: Double, round: Bool) -> Double {
    guard x > 0, x.isFinite else { return 1 }
    let exponent = floor(log10(x))
    let fraction = x / pow(10, exponent)
    let nice: Double
    if round { nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10 }
    else { nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10 }
    return nice * pow(10, exponent)
  }

  /// Where `value` falls, 0 at `lower` and 1 at `upper`.
  public func fraction(_ value: Double) -> Double {
    if isLog { return (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) }
    return (value - lower) / (upper - lower)
  }

  /// Tick labels with just enough decimals to tell neighbouring ticks apart.
  var tickLabels: [String] { ticks.map { Axis.format($0, step: isLog ? $0 : (ticks.count > 1 ? ticks[1] - ticks[0] : 1)) } }

  static func format(_ value: Double, step: Double) -> String {
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e5 || magnitude < 1e-3 {
      // Scientific: "1e-4", "2.5e6".
      let exponent = Int(floor(log10(magnitude)))
      let mantissa = value / pow(10, Double(exponent))
      let m = abs(mantissa - mantissa.rounded()) < 1e-6 ? String(Int(mantissa.rounded())) : String(format: "%.1f", mantissa)
      return "\(m)e\(exponent)"
    }
    let decimals = max(0, Int(-floor(log10(abs(step)) + 1e-9)))
    return String(format: "%.\(decimals)f", value)
  }
}

/// A value with a compact label for annotations: 3 significant digits, scientific when tiny or huge.
public func compactNumber(_ value: Double) -> String {
  if value == 0 { return "0" }
  if !value.isFinite { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
  let magnitude = abs(value)
  if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", value).replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e") }
  if value == value.rounded() && magnitude < 1e5 { return String(Int(value)) }
  let decimals = max(0, 2 - Int(floor(log10(magnitude))))
  var text = String(format: "%.\(decimals)f", value)
  while text.contains("."), text.hasSuffix("0") { text.removeLast() }
  if text.hasSuffix(".") { text.removeLast() }
  return text
}

/// The pixel rectangle of a plot's data area and the two axes mapped onto it.
struct PlotFrame {
  let left: Int, top: Int, width: Int, height: Int
  let x: Axis, y: Axis

  func pixelX(_ value: Double) -> Int { left + Int((x.fraction(value) * Double(width - 1)).rounded()) }
  func pixelY(_ value: Double) -> Int { top + height - 1 - Int((y.fraction(value) * Double(height - 1)).rounded()) }

  /// Margins that fit the title, tick labels and axis labels around a data area.
  static func layout(
    canvasWidth: Int, canvasHeight: Int, title: String, xLabel: String, yLabel: String,
    yTickLabels: [String], rightMargin: Int = 24, bottomTickRows: Int = 1
  ) -> (left: Int, top: Int, width: Int, height: Int) {
    let scale = BitmapFont.defaultScale
    let tickWidth = yTickLabels.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
    let left = 14 + (yLabel.isEmpty ? 0 : BitmapFont.glyphHeight * scale + 12) + tickWidth + 10
    let top = title.isEmpty ? 16 : BitmapFont.height(of: title, scale: scale) + 26
    let bottom = 12 + bottomTickRows * BitmapFont.lineHeight * scale + 6
      + (xLabel.isEmpty ? 0 : BitmapFont.glyphHeight * scale + 14)
    return (left, top, canvasWidth - left - rightMargin, canvasHeight - top - bottom)
  }

  /// Grid lines, axes, ticks, tick labels, axis labels and the title.
  func drawAxes(on canvas: inout Canvas, title: String, xLabel: String, yLabel: String, xTicks: Bool = true) {
    let scale = BitmapFont.defaultScale
    for (tick, label) in zip(y.ticks, y.tickLabels) {
      let py = pixelY(tick)
      canvas.drawLine(from: (left, py), to: (left + width - 1, py), color: .grid)
      canvas.drawLine(from: (left - 5, py), to: (left, py), color: .axis)
      canvas.drawText(label, x: left - 9, y: py - BitmapFont.glyphHeight * scale / 2 + scale, anchor: .trailing)
    }
    if xTicks {
      for (tick, label) in zip(x.ticks, x.tickLabels) {
        let px = pixelX(tick)
        canvas.drawLine(from: (px, top), to: (px, top + height - 1), color: .grid)
        canvas.drawLine(from: (px, top + height - 1), to: (px, top + height + 4), color: .axis)
        canvas.drawText(label, x: px, y: top + height + 10, anchor: .center)
      }
    }
    canvas.drawLine(from: (left, top), to: (left, top + height - 1), color: .axis, thickness: 2)
    canvas.drawLine(from: (left, top + height - 1), to: (left + width - 1, top + height - 1), color: .axis, thickness: 2)
    if !title.isEmpty {
      canvas.drawText(title, x: left + width / 2, y: 12, color: .black, scale: scale, anchor: .center, bold: true)
    }
    if !xLabel.isEmpty {
      canvas.drawText(xLabel, x: left + width / 2, y: canvas.height - BitmapFont.glyphHeight * scale - 8, anchor: .center)
    }
    if !yLabel.isEmpty {
      canvas.drawVerticalText(yLabel, centerX: 12 + BitmapFont.glyphHeight * scale / 2, centerY: top + height / 2)
    }
  }

  /// A boxed legend with a colour swatch and name per entry, in whichever corner of the data
  /// area covers the fewest of the `avoiding` points (so it hides as little data as possible).
  func drawLegend(
    on canvas: inout Canvas, entries: [(name: String, color: Color, dashed: Bool)], avoiding points: [(Int, Int)] = [],
    dots: Bool = false
  ) {
    guard !entries.isEmpty else { return }
    let scale = BitmapFont.defaultScale
    let rowHeight = BitmapFont.lineHeight * scale + 2
    let textWidth = entries.map { BitmapFont.width(of: $0.name, scale: scale) }.max() ?? 0
    let boxWidth = 10 + 28 + 8 + textWidth + 10
    let boxHeight = 8 + rowHeight * entries.count
    let corners = [
      (left + width - boxWidth - 8, top + 8), (left + width - boxWidth - 8, top + height - boxHeight - 8),
      (left + 8, top + 8), (left + 8, top + height - boxHeight - 8),
    ]
    func covered(_ corner: (Int, Int)) -> Int {
      points.filter { $0.0 >= corner.0 - 12 && $0.0 <= corner.0 + boxWidth + 12 && $0.1 >= corner.1 - 12 && $0.1 <= corner.1 + boxHeight + 12 }.count
    }
    let (boxLeft, boxTop) = corners.min { covered($0) < covered($1) }!
    canvas.fillRect(x: boxLeft, y: boxTop, width: boxWidth, height: boxHeight, color: .white)
    canvas.strokeRect(x: boxLeft, y: boxTop, width: boxWidth, height: boxHeight, color: .border)
    for (i, entry) in entries.enumerated() {
      let rowTop = boxTop + 6 + i * rowHeight
      let middle = rowTop + BitmapFont.glyphHeight * scale / 2 - scale
      if dots && !entry.dashed {
        canvas.fillCircle(x: boxLeft + 24, y: middle, radius: 4, color: entry.color)
      } else {
        canvas.drawLine(from: (boxLeft + 10, middle), to: (boxLeft + 38, middle), color: entry.color, thickness: 3,
                        dash: entry.dashed ? 5 : 0)
      }
      canvas.drawText(entry.name, x: boxLeft + 46, y: rowTop)
    }
  }

  /// Legend entries side by side in one row centred on `centerX` with its top at `y`, for charts
  /// whose data fills every corner (grouped bars).
  static func drawLegendRow(on canvas: inout Canvas, entries: [(name: String, color: Color)], centerX: Int, y: Int) {
    let scale = BitmapFont.defaultScale
    let widths = entries.map { 24 + 6 + BitmapFont.width(of: $0.name, scale: scale) }
    var x = centerX - (widths.reduce(0, +) + 20 * (entries.count - 1)) / 2
    for (entry, entryWidth) in zip(entries, widths) {
      canvas.fillRect(x: x, y: y + 1, width: 24, height: BitmapFont.glyphHeight * scale - 6, color: entry.color)
      canvas.drawText(entry.name, x: x + 30, y: y)
      x += entryWidth + 20
    }
  }
}
