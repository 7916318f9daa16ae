import ArgumentParser

@main
struct StrongroomBench: AsyncParsableCommand {
    func run() async throws {}
}
