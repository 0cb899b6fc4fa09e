// Bar charts: label histograms, softmax probabilities, per-class accuracy, timings. One bar per
// category, or a group of bars per category with a legend; the value is printed on each bar.

/// One set of bar heights, one value per category.
public struct BarSeries: Sendable {
  public var name: String
  public var values: [Double]
  public var color: Color?
  public init(_ name: String, values: [Double], color: Color? = nil) {
    (self.name, self.values, self.color) = (name, values, color)
  }
}

/// Bars for `categories`; with several series, each category gets a group of bars side by side.
///
/// - Parameters:
///   - highlight: indices of categories whose (single-series) bar is drawn in the accent colour,
///     e.g. the predicted class among softmax probabilities.
///   - valueLabels: print each bar's value above (or below, if negative) the bar.
public func barChart(
  categories: [String], series: [BarSeries], title: String = "", xLabel: String = "", yLabel: String = "",
  valueLabels: Bool = true, highlight: Set<Int> = [], logY: Bool = false, yRange: ClosedRange<Double>? = nil,
  width: Int = 800, height: Int = 480
) -> Image {
  let scale = BitmapFont.defaultScale
  let values = series.flatMap(\.values)
  let yAxis = Axis(covering: values, isLog: logY, includeZero: true, exact: yRange)
  // Category labels that do not fit under their group are written vertically.
  let groupSpace = Double(width - 120) / Double(max(1, categories.count))
  let labelWidth = categories.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
  let vertical = Double(labelWidth) > groupSpace - 4
  let labelRows = vertical ? (labelWidth + 8) / (BitmapFont.lineHeight * scale) + 1 : 1
  var canvas = Canvas(width: width, height: height + (vertical ? labelRows * BitmapFont.lineHeight * scale : 0))
  let box = PlotFrame.layout(canvasWidth: canvas.width, canvasHeight: canvas.height, title: title, xLabel: xLabel, yLabel: yLabel,
                             yTickLabels: yAxis.tickLabels, bottomTickRows: vertical ? labelRows : 1)
  let xAxis = Axis(covering: [0, Double(max(1, categories.count))], exact: 0...Double(max(1, categories.count)))
  // Grouped bars fill every corner, so their legend gets a row of its own above the plot.
  let legendHeight = series.count > 1 ? BitmapFont.lineHeight * scale + 22 : 0
  let frame = PlotFrame(left: box.left, top: box.top + legendHeight, width: box.width, height: box.height - legendHeight,
                        x: xAxis, y: yAxis)
  frame.drawAxes(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: false)

  let groupWidth = Double(frame.width) / Double(max(1, categories.count))
  let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
  // Values are printed only if every one fits over its bar; a partial set would mislead.
  let widestValue = values.filter(\.isFinite).map { BitmapFont.width(of: compactNumber($0), scale: scale) }.max() ?? 0
  let showValues = valueLabels && Double(widestValue) <= barWidth + groupWidth * 0.2 / Double(max(1, series.count)) + 2
  let baseline = logY ? frame.top + frame.height - 1 : frame.pixelY(min(max(0, yAxis.lower), yAxis.upper))
  for (c, category) in categories.enumerated() {
    let groupLeft = Double(frame.left) + Double(c) * groupWidth + groupWidth * 0.1
    for (s, bars) in series.enumerated() where c < bars.values.count {
      let value = bars.values[c]
      guard value.isFinite, !(logY && value <= 0) else { continue }
      var color = bars.color ?? Color.palette[s % Color.palette.count]
      if series.count == 1 && !highlight.isEmpty && !highlight.contains(c) { color = color.mixed(with: .white, 0.55) }
      let left = Int(groupLeft + Double(s) * barWidth), right = Int(groupLeft + Double(s + 1) * barWidth) - 1
      let top = min(frame.top + frame.height - 1, max(frame.top, frame.pixelY(value)))
      canvas.fillRect(x: left, y: min(top, baseline), width: max(1, right - left), height: max(1, abs(baseline - top)), color: color)
      if showValues {
        let text = compactNumber(value)
        let textY = value >= 0 || logY ? top - BitmapFont.glyphHeight * scale - 4 : top + 4
        canvas.drawText(text, x: (left + right) / 2, y: max(frame.top - 2 - BitmapFont.glyphHeight * scale, textY), anchor: .center)
      }
    }
    let center = Int(Double(frame.left) + (Double(c) + 0.5) * groupWidth)
    if vertical {
      let length = BitmapFont.width(of: category, scale: scale)
      canvas.drawVerticalText(category, centerX: center, centerY: frame.top + frame.height + 10 + length / 2)
    } else {
      canvas.drawText(category, x: center, y: frame.top + frame.height + 10, anchor: .center)
    }
  }
  if !logY && yAxis.lower < 0 { canvas.drawLine(from: (frame.left, baseline), to: (frame.left + frame.width - 1, baseline), color: .axis) }
  if series.count > 1 {
    PlotFrame.drawLegendRow(on: &canvas, entries: series.enumerated().map {
      (name: $0.element.name, color: $0.element.color ?? Color.palette[$0.offset % Color.palette.count])
    }, centerX: frame.left + frame.width / 2, y: frame.top - legendHeight - 4)
  }
  return canvas.image
}

/// A single series of bars.
public func barChart(
  categories: [String], values: [Double], title: String = "", xLabel: String = "", yLabel: String = "",
  valueLabels: Bool = true, highlight: Set<Int> = [], yRange: ClosedRange<Double>? = nil, width: Int = 800, height: Int = 480
) -> Image {
  barChart(categories: categories, series: [BarSeries("", values: values)], title: title, xLabel: xLabel, yLabel: yLabel,
           valueLabels: valueLabels, highlight: highlight, yRange: yRange, width: width, height: height)
}
