// Scatter plots, e.g. analytic against numeric gradients: with the y = x line drawn, a correct
// backward pass puts every dot on the diagonal, and a bug shows as dots off it.

/// Dots for each series (x[i], y[i]) with a legend; `identityLine` draws y = x dashed and gives
/// both axes the same range so the diagonal is at 45°.
public func scatterPlot(
  _ series: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
  identityLine: Bool = false, width: Int = 640, height: Int = 560, radius: Int = 3
) -> Image {
  let xs = series.flatMap(\.x), ys = series.flatMap(\.y)
  let xAxis: Axis, yAxis: Axis
  if identityLine {
    let both = Axis(covering: xs + ys)
    (xAxis, yAxis) = (both, both)
  } else {
    (xAxis, yAxis) = (Axis(covering: xs), Axis(covering: ys))
  }
  var canvas = Canvas(width: width, height: height)
  let box = PlotFrame.layout(canvasWidth: width, canvasHeight: height, title: title, xLabel: xLabel, yLabel: yLabel,
                             yTickLabels: yAxis.tickLabels)
  // Equal pixel scales on both axes when comparing like with like.
  let side = min(box.width, box.height)
  let frame = PlotFrame(left: box.left, top: box.top, width: identityLine ? side : box.width,
                        height: identityLine ? side : box.height, x: xAxis, y: yAxis)
  frame.drawAxes(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel)
  if identityLine {
    canvas.drawLine(from: (frame.pixelX(xAxis.lower), frame.pixelY(yAxis.lower)),
                    to: (frame.pixelX(xAxis.upper), frame.pixelY(yAxis.upper)), color: .border, thickness: 2, dash: 8)
  }
  let colors = series.enumerated().map { $0.element.color ?? Color.palette[$0.offset % Color.palette.count] }
  var points: [(Int, Int)] = []
  for (group, color) in zip(series, colors) {
    for (x, y) in zip(group.x, group.y) where x.isFinite && y.isFinite {
      let point = (frame.pixelX(x), frame.pixelY(y))
      canvas.fillCircle(x: point.0, y: point.1, radius: radius, color: color)
      points.append(point)
    }
  }
  var entries = zip(series, colors).filter { !$0.0.name.isEmpty }.map { (name: $0.0.name, color: $0.1, dashed: false) }
  if identityLine && !entries.isEmpty { entries.append((name: "y = x", color: .border, dashed: true)) }
  frame.drawLegend(on: &canvas, entries: entries, avoiding: points, dots: true)
  return canvas.image
}
