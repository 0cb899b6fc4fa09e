// Line charts: loss and accuracy curves, speed against size, optimizer races. Several series
// share nice-numbered axes (optionally logarithmic) and a legend placed where the lines are not.

/// One named line of (x, y) points.
public struct Series: Sendable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  /// nil picks the next colour of `Color.palette`.
  public var color: Color?
  public var dashed: Bool
  /// Draws a dot at every point (useful for few points, e.g. one per epoch).
  public var markers: Bool

  /// A series from matching x and y values.
  public init(_ name: String, x: [Double], y: [Double], color: Color? = nil, dashed: Bool = false, markers: Bool = false) {
    guard x.count == y.count else { fatalError("Series \(name): \(x.count) x values but \(y.count) y values") }
    (self.name, self.x, self.y, self.color, self.dashed, self.markers) = (name, x, y, color, dashed, markers)
  }

  /// A series whose x values are 1, 2, 3, … (steps or epochs).
  public init(_ name: String, y: [Double], color: Color? = nil, dashed: Bool = false, markers: Bool = false) {
    self.init(name, x: (0..<y.count).map { Double($0 + 1) }, y: y, color: color, dashed: dashed, markers: markers)
  }
}

/// Draws `series` as lines on shared axes with a legend (shown when there is more than one series
/// or the one series has a name).
///
/// - Parameters:
///   - logX, logY: logarithmic axes; values ≤ 0 are skipped on a log axis.
///   - yRange: fixed y limits (e.g. 0...1 for accuracy) instead of fitting the data.
public func lineChart(
  _ series: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
  logX: Bool = false, logY: Bool = false, yRange: ClosedRange<Double>? = nil,
  width: Int = 800, height: Int = 480
) -> Image {
  let colors = series.enumerated().map { $0.element.color ?? Color.palette[$0.offset % Color.palette.count] }
  let xAxis = Axis(covering: series.flatMap(\.x), isLog: logX)
  let yAxis = Axis(covering: series.flatMap(\.y), isLog: logY, exact: yRange)
  var canvas = Canvas(width: width, height: height)
  let box = PlotFrame.layout(canvasWidth: width, canvasHeight: height, title: title, xLabel: xLabel,
                             yLabel: yLabel, yTickLabels: yAxis.tickLabels)
  let frame = PlotFrame(left: box.left, top: box.top, width: box.width, height: box.height, x: xAxis, y: yAxis)
  frame.drawAxes(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel)

  // Every pixel step along the curves, so the legend can go where no line passes.
  var drawnPoints: [(Int, Int)] = []
  for (line, color) in zip(series, colors) {
    var previous: (x: Int, y: Int)?
    for (x, y) in zip(line.x, line.y) {
      // A point that cannot be drawn (NaN, or ≤ 0 on a log axis) breaks the line.
      guard x.isFinite, y.isFinite, !(logX && x <= 0), !(logY && y <= 0) else { previous = nil; continue }
      let point = (x: frame.pixelX(x), y: clampY(frame.pixelY(y), frame))
      if let previous {
        canvas.drawLine(from: previous, to: point, color: color, thickness: 2, dash: line.dashed ? 6 : 0)
        let steps = max(1, min(64, max(abs(point.x - previous.x), abs(point.y - previous.y)) / 8))
        for s in 0...steps {
          drawnPoints.append((previous.x + (point.x - previous.x) * s / steps, previous.y + (point.y - previous.y) * s / steps))
        }
      } else {
        drawnPoints.append(point)
      }
      if line.markers || line.x.count == 1 { canvas.fillCircle(x: point.x, y: point.y, radius: 3, color: color) }
      previous = point
    }
  }
  // Redraw the axis lines over any curve that touched them.
  canvas.drawLine(from: (frame.left, frame.top), to: (frame.left, frame.top + frame.height - 1), color: .axis, thickness: 2)
  canvas.drawLine(from: (frame.left, frame.top + frame.height - 1), to: (frame.left + frame.width - 1, frame.top + frame.height - 1),
                  color: .axis, thickness: 2)
  if series.count > 1 || (series.count == 1 && !series[0].name.isEmpty) {
    let entries = zip(series, colors).map { (name: $0.name, color: $1, dashed: $0.dashed) }
    frame.drawLegend(on: &canvas, entries: entries, avoiding: drawnPoints)
  }
  return canvas.image
}

/// Keeps values outside a fixed y range at the frame edge instead of off the picture.
private func clampY(_ y: Int, _ frame: PlotFrame) -> Int { min(frame.top + frame.height - 1, max(frame.top, y)) }
