import CNN

/// A numbered chapter of the course.
public protocol Chapter {
  static var number: Int { get }
  static var slug: String { get }
  static var title: String { get }
}
