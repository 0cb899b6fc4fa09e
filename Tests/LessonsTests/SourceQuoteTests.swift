// Quoting library code on a page: the declaration with the comments directly above it, up to the
// brace that closes it, dedented; nothing when it is gone.

import Testing

@testable import Lessons

@Test("SourceQuote takes the doc comment and the balanced body of one declaration")
func sourceQuoteDeclaration() throws {
  let source = """
    extension Thing {
      // not attached: a blank line follows

      /// Doubles.
      ///     f(x) = 2x
      static func double(_ x: Int) -> Int {
        if x > 0 { return 2 * x }
        return x + x
      }

      static func other() {}
    }
    """
  let quote = try #require(SourceQuote.declaration("static func double(", in: source))
  #expect(quote == """
    /// Doubles.
    ///     f(x) = 2x
    static func double(_ x: Int) -> Int {
      if x > 0 { return 2 * x }
      return x + x
    }
    """)
  #expect(SourceQuote.declaration("static func missing(", in: source) == nil)
}

@Test("chapter 2's quote of Conv2D.directForward is found in the library source")
func chapterTwoQuoteExists() throws {
  let source = try String(contentsOfFile: packageRoot + "/Sources/CNN/Layers/Conv2D.swift", encoding: .utf8)
  let quote = try #require(SourceQuote.declaration("static func directForward(", in: source))
  #expect(quote.hasPrefix("/// The convolution straight from its definition"))
  #expect(quote.contains("sum += input[n, c, row, column] * weight[o, c, i, j]"))
  #expect(quote.hasSuffix("}"))
}
