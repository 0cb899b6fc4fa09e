// The figure layouts the chapters share, composed from the library's plotting functions
// (`imageGrid`, `heatmap`, `lineChart`, `barChart`, `scatterPlot` in Sources/Plotting): which
// colour map, which scaling, how panels sit side by side. No drawing primitives live here.

import CNN
import Foundation
import Plotting

enum Figures {
  /// Labelled panels of 2-D tensors side by side. `signed` picks the diverging map centred on zero
  /// (each panel on its own symmetric scale); `annotate` writes every value in its cell, for small
  /// matrices; `scale` is the enlargement in pixels per element.
  static func panels(
    _ panels: [(String, Tensor)], signed: Bool, scale: Int = 4, annotate: Bool = false, grid: Int = 0,
    columns: Int? = nil
  ) -> Image {
    if annotate {
      let maps = panels.map { title, tensor in
        heatmap(tensor, title: title, colorMap: signed ? .diverging : .blues, annotate: true)
      }
      return stack(maps, horizontally: true)
    }
    return imageGrid(
      panels.map(\.1), labels: panels.map(\.0), columns: columns ?? panels.count,
      colorMap: signed ? .diverging : .inkOnPaper, scaling: signed ? .perTile : .perTile, enlargement: scale,
      showColorBar: false)
  }

  /// Digits (H, W) in [0, 1], ink on paper, each with a label.
  static func digitGrid(_ images: [Tensor], labels: [String], columns: Int, scale: Int) -> Image {
    imageGrid(images, labels: labels, columns: columns, colorMap: .inkOnPaper, scaling: .fixed(0...1),
              enlargement: scale, showColorBar: false)
  }

  /// Bars for categories; several series side by side.
  static func bars(_ series: [(String, [Double])], labels: [String], title: String) -> Image {
    barChart(categories: labels, series: series.map { BarSeries($0.0, values: $0.1) }, title: title)
  }

  /// Analytic against numeric gradients, with the y = x diagonal.
  static func scatter(x: [Double], y: [Double], xLabel: String, yLabel: String, title: String) -> Image {
    scatterPlot([Series("", x: x, y: y)], title: title, xLabel: xLabel, yLabel: yLabel, identityLine: true)
  }

  /// Loss curves against the step number.
  static func lines(_ series: [(String, [Float])], logScale: Bool, xLabel: String, yLabel: String, title: String) -> Image {
    lineChart(series.map { Series($0.0, x: (0..<$0.1.count).map(Double.init), y: $0.1.map(Double.init)) },
              title: title, xLabel: xLabel, yLabel: yLabel, logY: logScale)
  }

  /// A kernel at several training steps, on one shared diverging scale so frames can be compared.
  static func filmstrip(_ frames: [(step: Int, kernel: Tensor)], scale: Int) -> Image {
    imageGrid(frames.map(\.kernel), labels: frames.map { "step \($0.step)" }, columns: frames.count,
              colorMap: .diverging, scaling: .shared, enlargement: scale)
  }

  /// Per-batch training loss (with a running mean) beside test accuracy per epoch.
  static func trainingCurves(batchLosses: [Float], batchesPerEpoch: Int, testAccuracies: [Double]) -> Image {
    // An exponential moving average with bias correction, so the first points are not pulled to 0.
    let beta = batchLosses.count > 500 ? 0.98 : 0.9
    var smoothed: [Double] = []
    var running = 0.0
    for (t, loss) in batchLosses.enumerated() {
      running = beta * running + (1 - beta) * Double(loss)
      smoothed.append(running / (1 - pow(beta, Double(t + 1))))
    }
    let epochs = (0..<batchLosses.count).map { Double($0 + 1) / Double(max(batchesPerEpoch, 1)) }
    let loss = lineChart([
      Series("batch loss", x: epochs, y: batchLosses.map(Double.init), color: Color(170, 190, 220)),
      Series("running mean", x: epochs, y: smoothed, color: Color.palette[0]),
    ], title: "training loss", xLabel: "epoch", yLabel: "cross-entropy", logY: true, width: 640, height: 420)
    let accuracy = lineChart([
      Series("test accuracy", x: (0..<testAccuracies.count).map { Double($0 + 1) }, y: testAccuracies.map { $0 * 100 },
             color: Color.palette[1], markers: true),
    ], title: "test accuracy after each epoch", xLabel: "epoch", yLabel: "accuracy (%)", width: 480, height: 420)
    return stack([loss, accuracy], horizontally: true)
  }

  /// The confusion matrix with counts in each cell.
  static func confusion(_ matrix: ConfusionMatrix, classNames: [String]) -> Image {
    heatmap(matrix.counts.map { $0.map(Double.init) }, rowLabels: classNames, columnLabels: classNames,
            title: "confusion matrix (test set)", xLabel: "predicted", yLabel: "true", colorMap: .blues,
            annotate: true, format: { String(Int($0)) })
  }

  /// One input and every layer's output: each layer a row of tiles. Maps (C, H, W) show one tile
  /// per channel; vectors are folded into a small rectangle (row by row) so 400 values stay
  /// readable; the logits are an annotated strip with the class names.
  static func featureMaps(input: Tensor, layers: [(String, Tensor)], classNames: [String]) -> Image {
    var rows: [Image] = [imageGrid([input], labels: ["input"], colorMap: .inkOnPaper, scaling: .fixed(0...1),
                                   enlargement: 4, showColorBar: false)]
    for (index, (name, output)) in layers.enumerated() {
      let title = "\(index + 1). \(name) → \(output.shape.dropFirst().map(String.init).joined(separator: "×"))"
      let signed = output.min() < 0
      if output.rank == 4 {
        let channels = output.shape[1]
        rows.append(imageGrid(
          (0..<channels).map { output.plane(0, $0) }, labels: [], columns: min(channels, 16),
          colorMap: signed ? .diverging : .inkOnPaper, scaling: .shared, enlargement: max(3, 84 / output.shape[2]),
          title: title, showColorBar: true))
      } else if index == layers.count - 1 {
        rows.append(heatmap(output.reshaped(to: [1, output.count]), columnLabels: classNames, title: title,
                            colorMap: .diverging, annotate: true))
      } else {
        let width = output.count == 400 ? 20 : 12
        let height = (output.count + width - 1) / width
        var folded = Tensor(zeros: [height, width])
        for i in 0..<output.count { folded.scalars[i] = output.scalars[i] }
        rows.append(imageGrid([folded], labels: ["\(output.count) values, row by row"], colorMap: signed ? .diverging : .inkOnPaper,
                              scaling: .shared, enlargement: 10, title: title, showColorBar: true))
      }
    }
    return stack(rows, horizontally: false)
  }

  /// Images side by side (or one above the other) on a white canvas.
  static func stack(_ images: [Image], horizontally: Bool, gap: Int = 12) -> Image {
    let width = horizontally ? images.reduce(0) { $0 + $1.width } + gap * max(0, images.count - 1)
      : images.map(\.width).max() ?? 1
    let height = horizontally ? images.map(\.height).max() ?? 1
      : images.reduce(0) { $0 + $1.height } + gap * max(0, images.count - 1)
    var canvas = Canvas(width: max(width, 1), height: max(height, 1))
    var offset = 0
    for image in images {
      canvas.draw(image, x: horizontally ? offset : 0, y: horizontally ? 0 : offset)
      offset += (horizontally ? image.width : image.height) + gap
    }
    return canvas.image
  }
}
