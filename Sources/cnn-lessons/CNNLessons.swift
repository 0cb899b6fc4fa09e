import ArgumentParser
import CNN
import Lessons

@main
struct CNNLessons: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cnn-lessons",
    abstract: "A convolutional neural network from scratch in Swift, taught as runnable chapters.")
}
