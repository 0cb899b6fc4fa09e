// Contour plots with trajectories: a function of two variables drawn as level lines (marching
// squares on a sampled grid), and paths through the plane on top, e.g. optimizers descending a
// loss surface.

import Foundation

/// Draws the level lines of a sampled function f(x, y) and `paths` over it, with a legend.
///
/// - Parameters:
///   - values: f on a regular grid: `values[j][i]` = f(x_i, y_j), x_i running over `xRange` from
///     left to right (`values[j].count` points) and y_j over `yRange` from bottom to top.
///   - levels: the values of f to draw a line at (e.g. geometrically spaced for a bowl); the
///     lines darken from the first level listed to the last.
///   - paths: trajectories (x, y) drawn as lines (with a dot at every point when `markers`) and
///     a large dot at their end; the first path's start is marked with a ring (paths usually
///     share it).
///   - marker: a point to mark with a cross (e.g. the minimum).
public func contourPlot(
  values: [[Double]], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, levels: [Double],
  paths: [Series] = [], marker: (x: Double, y: Double)? = nil, title: String = "", xLabel: String = "",
  yLabel: String = "", width: Int = 800, height: Int = 480
) -> Image {
  let rows = values.count
  let columns = values.first?.count ?? 0
  precondition(rows >= 2 && columns >= 2 && values.allSatisfy { $0.count == columns },
               "contourPlot: values must be a rectangular grid of at least 2x2")
  let xAxis = Axis(covering: [], exact: xRange)
  let yAxis = Axis(covering: [], exact: yRange)
  var canvas = Canvas(width: width, height: height)
  let box = PlotFrame.layout(canvasWidth: width, canvasHeight: height, title: title, xLabel: xLabel,
                             yLabel: yLabel, yTickLabels: yAxis.tickLabels)
  let frame = PlotFrame(left: box.left, top: box.top, width: box.width, height: box.height, x: xAxis, y: yAxis)
  frame.drawAxes(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel)

  // Grid point → pixel (fractional, then rounded at the end).
  func pixel(_ i: Double, _ j: Double) -> (Int, Int) {
    let x = xRange.lowerBound + (xRange.upperBound - xRange.lowerBound) * i / Double(columns - 1)
    let y = yRange.lowerBound + (yRange.upperBound - yRange.lowerBound) * j / Double(rows - 1)
    return (frame.pixelX(x), frame.pixelY(y))
  }
  // Marching squares: in each cell, the level crosses the edges whose two corners lie on
  // opposite sides of it; the crossing point is interpolated linearly along the edge.
  for (levelIndex, level) in levels.enumerated() {
    let shade = 200 - Int(Double(levelIndex) / Double(max(levels.count - 1, 1)) * 110)
    let color = Color(UInt8(shade), UInt8(shade), UInt8(min(255, shade + 30)))
    for j in 0..<(rows - 1) {
      for i in 0..<(columns - 1) {
        // Corners counter-clockwise from bottom-left: (i, j), (i+1, j), (i+1, j+1), (i, j+1).
        let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
        let f = [values[j][i], values[j][i + 1], values[j + 1][i + 1], values[j + 1][i]]
        guard f.allSatisfy(\.isFinite) else { continue }
        var crossings: [(Double, Double)] = []
        for edge in 0..<4 {
          let (a, b) = (edge, (edge + 1) % 4)
          guard (f[a] < level) != (f[b] < level) else { continue }
          let t = (level - f[a]) / (f[b] - f[a])
          crossings.append((corners[a].0 + t * (corners[b].0 - corners[a].0),
                            corners[a].1 + t * (corners[b].1 - corners[a].1)))
        }
        // Two crossings: one segment; four (a saddle cell): pair them in edge order.
        for k in stride(from: 0, to: crossings.count - 1, by: 2) {
          let p = pixel(Double(i) + crossings[k].0, Double(j) + crossings[k].1)
          let q = pixel(Double(i) + crossings[k + 1].0, Double(j) + crossings[k + 1].1)
          canvas.drawLine(from: p, to: q, color: color)
        }
      }
    }
  }

  // The paths, clipped to the frame.
  func inside(_ p: (x: Int, y: Int)) -> Bool {
    p.x >= frame.left && p.x < frame.left + frame.width && p.y >= frame.top && p.y < frame.top + frame.height
  }
  let colors = paths.enumerated().map { $0.element.color ?? Color.palette[$0.offset % Color.palette.count] }
  var drawnPoints: [(Int, Int)] = []
  for (path, color) in zip(paths, colors) {
    var previous: (x: Int, y: Int)?
    for (x, y) in zip(path.x, path.y) {
      guard x.isFinite, y.isFinite, xRange.contains(x), yRange.contains(y) else { previous = nil; continue }
      let point = (x: frame.pixelX(x), y: frame.pixelY(y))
      if let previous, inside(previous), inside(point) {
        canvas.drawLine(from: previous, to: point, color: color, thickness: 2, dash: path.dashed ? 6 : 0)
      }
      if path.markers && inside(point) { canvas.fillCircle(x: point.x, y: point.y, radius: 2, color: color) }
      drawnPoints.append(point)
      previous = point
    }
    if let last = Array(zip(path.x, path.y)).last(where: { xRange.contains($0.0) && yRange.contains($0.1) }) {
      canvas.fillCircle(x: frame.pixelX(last.0), y: frame.pixelY(last.1), radius: 5, color: color)
    }
  }
  if let first = paths.first, let x = first.x.first, let y = first.y.first, xRange.contains(x), yRange.contains(y) {
    // All paths share the start in the usual use; a black ring marks it.
    let (px, py) = (frame.pixelX(x), frame.pixelY(y))
    canvas.fillCircle(x: px, y: py, radius: 7, color: .black)
    canvas.fillCircle(x: px, y: py, radius: 4, color: .white)
  }
  if let marker, xRange.contains(marker.x), yRange.contains(marker.y) {
    let (px, py) = (frame.pixelX(marker.x), frame.pixelY(marker.y))
    canvas.drawLine(from: (px - 7, py - 7), to: (px + 7, py + 7), color: .black, thickness: 2)
    canvas.drawLine(from: (px - 7, py + 7), to: (px + 7, py - 7), color: .black, thickness: 2)
  }
  canvas.drawLine(from: (frame.left, frame.top), to: (frame.left, frame.top + frame.height - 1), color: .axis, thickness: 2)
  canvas.drawLine(from: (frame.left, frame.top + frame.height - 1), to: (frame.left + frame.width - 1, frame.top + frame.height - 1),
                  color: .axis, thickness: 2)
  if !paths.isEmpty {
    frame.drawLegend(on: &canvas, entries: zip(paths, colors).map { (name: $0.name, color: $1, dashed: $0.dashed) },
                     avoiding: drawnPoints)
  }
  return canvas.image
}
