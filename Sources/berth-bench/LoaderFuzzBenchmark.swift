import Foundation
import Glibc
import BerthTestSupport

/// `berth-bench fuzz [--seconds 600] [--seed N] [--iterations N] DIR`: the loader's seeded mutation loop
/// (`LoaderFuzzer`) for a while, in this process, with DIR as its scratch folder. It prints the iterations, the
/// slowest one, the peak resident size and every finding (an iteration over 2 s, a peak over 300 MiB), and exits
/// 1 when there is one. An iteration that runs 30 s is a hang: the process exits 3 with its input in DIR/current.
/// A crash leaves its input there too, and DIR/current.txt names its seed and iteration.
///
/// `berth-bench fuzz --seed N --replay I DIR` writes iteration I's input to DIR/replay-I and runs it once.
enum LoaderFuzzBenchmark {
    static func run(directory: String, seed: UInt64, seconds: Double, iterations: Int, replay: Int?) throws {
        var fuzzer = LoaderFuzzer(seed: seed, directory: directory, corpus: try LoaderFuzzer.seedCorpus())
        fuzzer.limits.hangSeconds = 30
        if let replay {
            let (project, mutations) = fuzzer.input(replay)
            let root = directory + "/replay-\(replay)"
            try project.write(to: root)
            print("seed \(seed) iteration \(replay), written to \(root):")
            for mutation in mutations { print("  \(mutation)") }
            let began = LoaderFuzzer.monotonicSeconds()
            let outcome = fuzzer.exercise(root)
            let elapsed = LoaderFuzzer.monotonicSeconds() - began
            if let error = outcome.loadError { print("load error: \(error)") }
            for line in outcome.diagnostics.prefix(20) { print(line) }
            print("\(outcome.environments) environments, \(outcome.valid) valid, \(outcome.plans) planned in \(format(elapsed * 1000)) ms; peak RSS \(format(LoaderFuzzer.peakResidentMiB())) MiB")
            return
        }
        print("fuzzing the loader for \(Int(seconds)) s, seed \(seed), \(fuzzer.corpusSize) seed projects; peak RSS before: \(format(LoaderFuzzer.peakResidentMiB())) MiB")
        let report = try fuzzer.run(iterations: iterations, seconds: seconds, every: 60) { progress in
            print("  " + progress.description)
            fflush(nil)
        }
        print(report)
        for finding in report.findings { print("finding: \(finding)") }
        if !report.findings.isEmpty { exit(1) }
    }
}
