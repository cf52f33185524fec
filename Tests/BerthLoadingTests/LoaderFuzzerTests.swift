import Testing
import Foundation
import BerthTestSupport

/// The loader's fuzz loop (`berth-bench fuzz` runs it for minutes), tested small: inputs are a function of the
/// seed and the iteration, every mutation applies, and a few hundred iterations run through. No time is asserted.
@Suite struct LoaderFuzzerTests {
    static let corpus = (try? LoaderFuzzer.seedCorpus()) ?? []

    /// Mutations grow a file by 32 KiB at the most here (a megabyte in `berth-bench fuzz`), so that a debug build
    /// runs the loop in seconds.
    func fuzzer(seed: UInt64, directory: String = "/nonexistent") -> LoaderFuzzer {
        LoaderFuzzer(seed: seed, directory: directory, corpus: Self.corpus, largest: 32 << 10)
    }

    @Test("the seed corpus holds the example project and every marked fixture")
    func corpus() {
        #expect(Self.corpus.count == 1 + 1 + MarkedFixture.names().count)
        #expect(Self.corpus[0].entries["environments/base.yaml"] != nil)
    }

    @Test("an iteration's input depends only on the seed and the iteration")
    func deterministic() {
        let (one, other, third) = (fuzzer(seed: 7), fuzzer(seed: 7), fuzzer(seed: 8))
        for iteration in [0, 1, 99, 12_345] {
            #expect(one.input(iteration).0.entries == other.input(iteration).0.entries)
            #expect(one.input(iteration).1 == other.input(iteration).1)
        }
        #expect((0..<20).contains { one.input($0).0.entries != third.input($0).0.entries })
    }

    @Test("every kind of mutation changes a file", arguments: ProjectMutator.Kind.allCases)
    func mutation(_ kind: ProjectMutator.Kind) throws {
        let example = Self.corpus[0]
        let changed = (0..<20).contains { seed in
            var random = SeededRandom(seed: UInt64(seed))
            var project = example
            _ = ProjectMutator(pool: [Array("a: b\n".utf8)]).mutate(&project, kind: kind, random: &random)
            return project.entries != example.entries
        }
        #expect(changed)
    }

    @Test("three hundred iterations load, render, resolve and plan what they can")
    func loop() throws {
        let fuzzer = fuzzer(seed: 1, directory: TemporaryDirectory.make(prefix: "berth-fuzz"))
        defer { try? FileManager.default.removeItem(atPath: fuzzer.directory) }
        let report = try fuzzer.run(iterations: 300)
        #expect(report.iterations == 300)
        #expect(report.environments > 300)
        #expect(report.validEnvironments > 0 && report.plans > 0, "\(report)")
        #expect(report.diagnostics > 0)
    }
}
