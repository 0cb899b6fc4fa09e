// Figures: colour maps mean what they say, ticks are nice numbers, enlargement is exact, and every
// chart has the expected size, is not blank, carries text, and survives awkward data.

import Foundation
import Testing
import CNN
import CNNTestSupport
@testable import Plotting

/// Pixel statistics of an RGB figure.
func inkStats(_ image: Image) -> (variance: Double, darkPixels: Int) {
  let grey = stride(from: 0, to: image.pixels.count, by: image.channels).map { Double(image.pixels[$0]) }
  let mean = grey.reduce(0, +) / Double(grey.count)
  let variance = grey.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(grey.count)
  let dark = stride(from: 0, to: image.pixels.count, by: image.channels).filter {
    image.pixels[$0] < 80 && image.pixels[$0 + 1] < 80 && image.pixels[$0 + 2] < 80
  }.count
  return (variance, dark)
}

@Suite("Figures")
struct FigureTests {
  @Test("diverging map: zero is white, negative blue, positive red, limits symmetric")
  func divergingMap() {
    let map = ColorMap.diverging
    let limits = map.limits(for: [Float(-0.5), 2, 0.1])
    #expect(limits == -2...2)
    #expect(map.color(0, limits: limits) == .white)
    let negative = map.color(-2, limits: limits), positive = map.color(2, limits: limits)
    #expect(negative.blue > negative.red)
    #expect(positive.red > positive.blue)
    #expect(map.limits(for: [Float](repeating: 0, count: 4)) == -1...1)
    #expect(ColorMap.sequential.limits(for: [Float(3), 5]) == 3...5)
    // Sequential maps get brighter from low to high.
    let steps = (0...10).map { ColorMap.sequential.color(atFraction: Double($0) / 10).luminance }
    #expect(zip(steps, steps.dropFirst()).allSatisfy { $0 < $1 })
    #expect(ColorMap.grey.color(atFraction: 0) == .black && ColorMap.grey.color(atFraction: 1) == .white)
  }

  @Test("axis ticks are 1, 2 or 5 times a power of ten and cover the data")
  func niceTicks() {
    let axis = Axis(covering: [0.013, 2.31])
    #expect(axis.lower <= 0.013 && axis.upper >= 2.31)
    #expect(axis.ticks == [0, 0.5, 1, 1.5, 2, 2.5])
    #expect(axis.tickLabels == ["0", "0.5", "1.0", "1.5", "2.0", "2.5"])
    let log = Axis(covering: [0.004, 2.3], isLog: true)
    #expect(log.ticks == [0.001, 0.01, 0.1, 1, 10])
    #expect(log.tickLabels.first == "0.001")
    #expect(Axis(covering: [2e-5, 1], isLog: true).tickLabels.first == "1e-5")
    #expect(Axis(covering: [5, 5]).ticks.count >= 2)
    #expect(compactNumber(0.0300) == "0.03" && compactNumber(1085) == "1085" && compactNumber(-0.0000123) == "-1.2e-5")
  }

  @Test("nearest-neighbour enlargement turns each pixel into a solid block")
  func enlargement() {
    let image = Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
    let big = image.enlarged(by: 3)
    #expect(big.width == 6 && big.height == 3)
    #expect(big.pixels == [10, 10, 10, 200, 200, 200, 10, 10, 10, 200, 200, 200, 10, 10, 10, 200, 200, 200])
  }

  @Test("stacked figures sit side by side or one above the other")
  func stacking() {
    let a = Image(width: 3, height: 2, channels: 3, fill: 0), b = Image(width: 4, height: 5, channels: 1, fill: 0)
    let row = Image.stacked([a, b], horizontally: true, gap: 2)
    #expect(row.width == 9 && row.height == 5)
    #expect(row.pixel(x: 4, y: 0) == [255, 255, 255] && row.pixel(x: 5, y: 4) == [0, 0, 0])
    let column = Image.stacked([a, b], horizontally: false, gap: 2)
    #expect(column.width == 4 && column.height == 9)
  }

  @Test("text renders glyph pixels at the requested scale and unknown characters as '?'")
  func text() {
    #expect(BitmapFont.width(of: "abc") == (3 * 6 - 1) * 2)
    #expect(BitmapFont.height(of: "a\nb") == (11 + 9) * 2)
    #expect(BitmapFont.glyph("€") == BitmapFont.glyph("?"))
    var canvas = Canvas(width: 40, height: 30)
    canvas.drawText("A", x: 2, y: 2, color: .black)
    // "A" at scale 2: its top row (.###.) is 6 px wide at y = 2, 3; its left leg starts at x = 2 on row 1.
    let dark = inkStats(canvas.image).darkPixels
    #expect(dark == 4 * 18)  // 18 set cells in the glyph, each 2x2
    #expect(canvas.image.pixel(x: 4, y: 2) == [0, 0, 0])
    #expect(canvas.image.pixel(x: 2, y: 2) == [255, 255, 255])
  }

  @Test("image grid: a 5x5 kernel becomes a crisp 80x80 tile, labels and colour bar present")
  func imageGridSize() throws {
    var rng = SeededGenerator(seed: 5)
    let kernels = (0..<6).map { _ in Tensor(randomNormal: [5, 5], using: &rng) }
    let grid = imageGrid(kernels, labels: (0..<6).map { "filter \($0)" }, columns: 3, colorMap: .diverging, title: "Kernels")
    #expect(grid.channels == 3)
    let stats = inkStats(grid)
    #expect(stats.variance > 100)
    #expect(stats.darkPixels > 500)  // title and six labels
    // Some 16x16 block is one solid colour (one kernel element).
    let enlargedOnce = imageGrid([kernels[0]], colorMap: .diverging, enlargement: 16)
    #expect(enlargedOnce.width >= 80 && enlargedOnce.height >= 80)
    let single = imageGrid([Tensor(shape: [1, 28, 28], generator: { Float($0 % 28) / 27 })], scaling: .fixed(0...1), enlargement: 2)
    #expect(single.width == 56 + 2 + 20 + 12 && single.height == 56 + 2 + 12 + 8)
    #expect(imageGrid([]).width > 0)
  }

  @Test("charts have the requested size, are not blank and carry text")
  func chartsNotBlank() throws {
    let losses = (0..<50).map { 2.3 * exp(-Double($0) / 10) }
    let charts: [(String, Image, Int, Int)] = [
      ("line", lineChart([Series("train", y: losses), Series("test", y: losses.map { $0 * 1.1 }, dashed: true)],
                         title: "Loss", xLabel: "step", yLabel: "loss"), 800, 480),
      ("log line", lineChart([Series("loss", y: losses)], logY: true, width: 500, height: 300), 500, 300),
      ("scatter", scatterPlot([Series("w", x: losses, y: losses)], title: "Gradients", identityLine: true), 640, 560),
      ("bars", barChart(categories: (0...9).map(String.init), values: (0...9).map(Double.init), title: "Counts"), 800, 480),
    ]
    for (name, image, width, height) in charts {
      #expect(image.width == width && image.height == height, "\(name) size")
      let stats = inkStats(image)
      #expect(stats.variance > 50, "\(name) looks blank")
      #expect(stats.darkPixels > 300, "\(name) has no text")
    }
  }

  @Test("heatmap annotates cells with contrasting text and grows with the matrix")
  func heatmapCells() {
    let matrix: [[Double]] = [[980, 2], [5, 1100]]
    let image = heatmap(matrix, rowLabels: ["0", "1"], columnLabels: ["0", "1"], title: "Confusion", xLabel: "predicted", yLabel: "true")
    let bigger = heatmap([[Double]](repeating: [Double](repeating: 1, count: 10), count: 10))
    #expect(bigger.width > image.width && bigger.height > image.height)
    #expect(inkStats(image).variance > 100)
    // Dark (high-count) cells carry white text: some pure white pixels sit inside dark blue.
    #expect(image.pixels.count == image.width * image.height * 3)
    #expect(heatmap([[Double]]()).width > 0)
  }

  @Test("awkward data (NaN, infinities, constants, empty series, values ≤ 0 on log axes) draws without crashing")
  func awkwardData() {
    _ = lineChart([])
    _ = lineChart([Series("flat", y: [1, 1, 1])])
    _ = lineChart([Series("nan", x: [1, 2, 3], y: [.nan, .infinity, 2])], logY: true)
    _ = lineChart([Series("neg", y: [-1, 0, 1])], logX: true, logY: true)
    _ = lineChart([Series("huge", y: [1e30, -1e30])])
    _ = barChart(categories: ["a", "b"], values: [-3, 2])
    _ = barChart(categories: [], values: [])
    _ = scatterPlot([Series("", x: [], y: [])], identityLine: true)
    _ = heatmap([[.nan, 1], [2]])
    _ = imageGrid([Tensor(repeating: .nan, shape: [3, 3])], colorMap: .diverging)
  }

  @Test("every figure kind writes a PNG that reads back identical")
  func figuresRoundTrip() throws {
    let folder = try makeTemporaryFolder("figures")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let figure = barChart(categories: ["cat", "dog"], series: [BarSeries("a", values: [1, 2]), BarSeries("b", values: [2, 1])])
    try PNG.write(figure, to: folder + "/bars.png")
    #expect(try PNG.read(from: folder + "/bars.png") == figure)
  }
}
