import Foundation
import Testing
@testable import BerthApply

/// ``LocalHookRunner`` on real programs of this machine, and the ``RecordingHookRunner`` double.
@Suite struct HookRunnerTests {
    let runner = LocalHookRunner()

    func run(_ argv: [String], _ environment: [String: String] = [:], timeout: Duration = .seconds(10)) async -> HookOutcome {
        await runner.run(argv, environment: environment, timeout: timeout)
    }

    /// Runs `argv` as ``LocalHookRunner`` does, on a thread of its own after `prepare` ran there, and
    /// times it there: a cooperative pool kept busy by other suites' tests does not count in the time.
    static func timedRun(
        _ argv: [String], timeout: Duration, prepare: @escaping @Sendable () -> Void = {}
    ) async -> (outcome: HookOutcome, elapsed: Duration) {
        await withCheckedContinuation { continuation in
            Thread {
                prepare()
                let start = ContinuousClock.now
                let outcome = LocalHookRunner.runBlocking(
                    argv, variables: ProcessInfo.processInfo.environment, timeout: timeout, isCancelled: { false }
                )
                continuation.resume(returning: (outcome, ContinuousClock.now - start))
            }.start()
        }
    }

    /// Processes of this machine whose command line contains `marker` (zombies have none).
    static func processes(containing marker: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(marker) ? "\(pid): \(commandLine)" : nil
        }
    }

    @Test("true exits 0: success, no output")
    func success() async {
        #expect(await run(["true"]) == HookOutcome(exitCode: 0, output: "", failure: nil))
    }

    @Test("a failing program's exit code and output, with the variables given")
    func exitCode() async {
        let outcome = await run(["sh", "-c", "echo $BERTH_SERVICE; exit 3"], ["BERTH_SERVICE": "web"])
        #expect(outcome == HookOutcome(exitCode: 3, output: "web\n", failure: "exited 3"))
        #expect(!outcome.succeeded)
    }

    @Test("stdout and stderr come interleaved as written; the current environment is passed on, the given variables win")
    func outputAndEnvironment() async throws {
        let path = try #require(ProcessInfo.processInfo.environment["PATH"])
        let outcome = await run(
            ["sh", "-c", "echo out; echo err >&2; echo out again; echo \"$PATH|$BERTH_RELEASE\""], ["BERTH_RELEASE": "r1 'quoted'"]
        )
        #expect(outcome.output == "out\nerr\nout again\n\(path)|r1 'quoted'\n")
        #expect(outcome.exitCode == 0 && outcome.succeeded)
        let overridden = await run(["sh", "-c", "echo $HOME"], ["HOME": "/elsewhere"])
        #expect(overridden.output == "/elsewhere\n")
    }

    @Test("standard input is empty: a program reading it ends at once")
    func emptyInput() async {
        #expect(await run(["cat"], timeout: .seconds(5)) == .exited(0))
    }

    @Test("a chatty program does not block on its pipe; the last 4 KiB are kept")
    func chatty() async {
        let outcome = await run(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo END"])
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.utf8.count == 4096)
        #expect(outcome.output.hasSuffix("xxx\nEND\n"))
    }

    @Test("a character cut by the 4 KiB limit is dropped, not shown as a broken one")
    func cutCharacter() async {
        // 4095 bytes of "é" (2 bytes each) end on half a character at the limit's start.
        let outcome = await run(["sh", "-c", "i=0; while [ $i -lt 2100 ]; do printf 'é'; i=$((i+1)); done; printf '!'"])
        #expect(outcome.output.hasSuffix("éé!") && !outcome.output.contains("\u{FFFD}"))
        #expect(outcome.output.utf8.count == 4095)
    }

    @Test("a program that is not there does not start, and the failure says so", arguments: ["berth-no-such-program", "/no/such/dir/hook"])
    func missing(program: String) async {
        #expect(await run([program, "arg"]) == HookOutcome(
            exitCode: nil, output: "", failure: "cannot run '\(program)': No such file or directory"
        ))
    }

    @Test("a file that is not executable is refused, on PATH or by path")
    func notExecutable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-hook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(FileManager.default.createFile(atPath: directory + "/hook", contents: Data("#!/bin/sh\necho hi\n".utf8)))
        #expect(await run(["hook"], ["PATH": directory]).failure == "cannot run 'hook': Permission denied")
        #expect(await run([directory + "/hook"]).failure == "cannot run '\(directory)/hook': Permission denied")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/hook")
        #expect(await run(["hook"], ["PATH": "/no/such/dir::" + directory]) == .exited(0, output: "hi\n"))
    }

    @Test("no program at all is a failure, not a crash")
    func emptyArgv() async {
        #expect(await run([]).failure == "cannot run '': no program given")
    }

    @Test("sleep 10 with a timeout of 0.3 s is killed at once and reported as timed out")
    func timeout() async {
        #expect(await run(["sleep", "10"], timeout: .milliseconds(300)) == HookOutcome(
            exitCode: nil, output: "", failure: "timed out after 300ms"
        ))
        let run = await Self.timedRun(["sleep", "10"], timeout: .milliseconds(300))
        #expect(run.outcome.failure == "timed out after 300ms")
        #expect(run.elapsed >= .milliseconds(300) && run.elapsed < .seconds(2), "\(run.elapsed)")
    }

    @Test("at the timeout the whole process group goes, children included; output written before is kept")
    func timeoutKillsGroup() async throws {
        let marker = "10.\(Int.random(in: 100_000...999_999))"
        let outcome = await run(["sh", "-c", "echo started; sleep \(marker) & sleep \(marker); echo never"], timeout: .milliseconds(500))
        #expect(outcome == .timedOut(after: .milliseconds(500), output: "started\n"))
        // Killed processes vanish at once, or linger as zombies without a command line.
        #expect(Self.processes(containing: marker).isEmpty, "\(Self.processes(containing: marker))")
    }

    @Test("a program killed by a signal has 128 + the signal, which it was not kept from receiving")
    func signalled() async {
        #expect(await run(["sh", "-c", "echo bye; kill -TERM $$; sleep 5"]) == HookOutcome(
            exitCode: 143, output: "bye\n", failure: "killed by signal 15"
        ))
    }

    /// Foundation's `Thread`, which `Blocking` runs work on, blocks most signals (SigBlk fffffffe3bfbea27
    /// here); a child inheriting that mask would sit through a SIGTERM. `grep`, not `sh`: dash clears its mask itself.
    @Test("a program started from a thread that blocks signals has none blocked")
    func signalMask() async {
        let run = await Self.timedRun(["grep", "SigBlk", "/proc/self/status"], timeout: .seconds(5)) {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            sigaddset(&blocked, SIGINT)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
        }
        #expect(run.outcome == .exited(0, output: "SigBlk:\t0000000000000000\n"))
    }

    @Test("a program inherits no descriptor beyond its three, even one Berth opened without close-on-exec")
    func noInheritedDescriptors() async throws {
        let opened = open("/dev/null", O_RDONLY)
        let leaky = fcntl(opened, F_DUPFD, 300)
        close(opened)
        defer { close(leaky) }
        try #require(leaky >= 300)
        let outcome = await run(["ls", "/proc/self/fd"])
        let descriptors = outcome.output.split(separator: "\n").map(String.init)
        #expect(Array(descriptors.prefix(3)) == ["0", "1", "2"] && !descriptors.contains(String(leaky)), "\(descriptors)")
        #expect(descriptors.count <= 4, "\(descriptors)")  // ls reads the folder through one of its own
    }

    @Test("a background process left running does not keep the runner waiting")
    func backgroundChild() async throws {
        let marker = "7.\(Int.random(in: 100_000...999_999))"
        let run = await Self.timedRun(["sh", "-c", "sleep \(marker) & echo done"], timeout: .seconds(5))
        #expect(run.outcome == .exited(0, output: "done\n"))
        #expect(run.elapsed < .seconds(2), "\(run.elapsed)")
        for line in Self.processes(containing: marker) {
            if let pid = Int32(line.prefix { $0.isNumber }) { kill(pid, SIGKILL) }
        }
    }

    @Test("cancelling the waiting task kills the program with its group")
    func cancelled() async {
        let marker = "10.\(Int.random(in: 100_000...999_999))"
        let start = ContinuousClock.now
        let task = Task { await run(["sh", "-c", "echo waiting; sleep \(marker)"], timeout: .seconds(30)) }
        while Self.processes(containing: "sleep \(marker)").isEmpty && ContinuousClock.now - start < .seconds(5) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        #expect(await task.value == .cancelled(output: "waiting\n"))
        #expect(Self.processes(containing: marker).isEmpty, "\(Self.processes(containing: marker))")
        // Not a timing: a program that was not killed would have ended its sleep and exited 0, not been cancelled.
    }

    @Test("runs from the cooperative pool do not hold its threads: six hooks of 2 s all start at once")
    func concurrent() async {
        let outcomes = await withTaskGroup(of: HookOutcome.self) { group in
            for _ in 0..<6 { group.addTask { await run(["sh", "-c", "date +%s.%N; sleep 2"]) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let starts = outcomes.compactMap { Double($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(starts.count == 6, "\(outcomes)")
        // Holding the pool's two threads, they would start in pairs 2 s apart.
        #expect((starts.max() ?? 0) - (starts.min() ?? 0) < 1.5, "\(starts)")
    }

    @Test("the double records calls and answers with scripted outcomes, then its default")
    func recording() async {
        let double = RecordingHookRunner(outcomes: [.exited(3, output: "boom")])
        double.enqueue(.timedOut(after: .seconds(30)))
        #expect(await double.run(["migrate"], environment: ["BERTH_SERVICE": "web"], timeout: .seconds(60)) == .exited(3, output: "boom"))
        #expect(await double.run(["notify", "x"], environment: [:], timeout: .seconds(30)).failure == "timed out after 30s")
        #expect(await double.run(["notify", "y"], environment: [:], timeout: .seconds(30)) == .exited(0))
        #expect(double.calls == [
            RecordingHookRunner.Call(argv: ["migrate"], environment: ["BERTH_SERVICE": "web"], timeout: .seconds(60)),
            RecordingHookRunner.Call(argv: ["notify", "x"], environment: [:], timeout: .seconds(30)),
            RecordingHookRunner.Call(argv: ["notify", "y"], environment: [:], timeout: .seconds(30)),
        ])
        let failing = RecordingHookRunner(otherwise: .cannotRun("x", reason: "No such file or directory"))
        #expect(await failing.run(["x"], environment: [:], timeout: .seconds(1)).failure == "cannot run 'x': No such file or directory")
    }
}
