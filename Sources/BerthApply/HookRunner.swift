import BerthCore
import Synchronization

/// Runs a release hook: a program given as argv, with variables that describe the release.
///
/// ``LocalHookRunner`` is the real one; ``RecordingHookRunner`` the double for tests of the layers above.
public protocol HookRunner: Sendable {
    /// Runs `argv` (its first element looked up on `PATH`) with the current environment plus
    /// `environment`, for at most `timeout`. Never throws: every way of failing is an outcome.
    func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome
}

/// How a hook ended.
public struct HookOutcome: Hashable, Sendable {
    /// The program's exit status (128 + N for a program killed by signal N, as shells say);
    /// nil when it did not start, timed out or was cancelled.
    public var exitCode: Int32?
    /// Standard output and standard error as written, interleaved: at most the last 4 KiB.
    public var output: String
    /// Why the hook failed, in a few words ("exited 3", "timed out after 30s",
    /// "cannot run 'x': No such file or directory"); nil when it exited 0.
    public var failure: String?

    public init(exitCode: Int32?, output: String, failure: String?) {
        self.exitCode = exitCode
        self.output = output
        self.failure = failure
    }

    public var succeeded: Bool { failure == nil }

    /// The program ran to its end with `code`: a failure unless it is 0.
    public static func exited(_ code: Int32, output: String = "") -> HookOutcome {
        HookOutcome(exitCode: code, output: output, failure: code == 0 ? nil : "exited \(code)")
    }

    /// The program ended by a signal it did not catch (not Berth's timeout).
    public static func killed(signal: Int32, output: String = "") -> HookOutcome {
        HookOutcome(exitCode: 128 + signal, output: output, failure: "killed by signal \(signal)")
    }

    /// The program ran past `timeout` and was killed with its process group.
    public static func timedOut(after timeout: Duration, output: String = "") -> HookOutcome {
        HookOutcome(exitCode: nil, output: output, failure: "timed out after \(timeout.shortDescription)")
    }

    /// The program could not be started; `reason` is the system's ("No such file or directory").
    public static func cannotRun(_ program: String, reason: String) -> HookOutcome {
        HookOutcome(exitCode: nil, output: "", failure: "cannot run '\(program)': \(reason)")
    }

    /// The waiting task was cancelled; the program was killed with its process group.
    public static func cancelled(output: String = "") -> HookOutcome {
        HookOutcome(exitCode: nil, output: output, failure: "cancelled")
    }
}

/// The hook runner double: records every call and answers with scripted outcomes, in call order,
/// then with a default (exit 0 unless told otherwise). Runs nothing.
public final class RecordingHookRunner: HookRunner {
    /// One call, as the runner received it.
    public struct Call: Hashable, Sendable {
        public var argv: [String]
        public var environment: [String: String]
        public var timeout: Duration

        public init(argv: [String], environment: [String: String], timeout: Duration) {
            self.argv = argv
            self.environment = environment
            self.timeout = timeout
        }
    }

    private struct State {
        var calls: [Call] = []
        var outcomes: [HookOutcome]
        var otherwise: HookOutcome
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - outcomes: the answers to the first calls, in order.
    ///   - otherwise: the answer to every call after them.
    public init(outcomes: [HookOutcome] = [], otherwise: HookOutcome = .exited(0)) {
        state = Mutex(State(outcomes: outcomes, otherwise: otherwise))
    }

    /// Every call so far, in order.
    public var calls: [Call] { state.withLock { $0.calls } }

    /// Adds an answer after those still waiting.
    public func enqueue(_ outcome: HookOutcome) {
        state.withLock { $0.outcomes.append(outcome) }
    }

    public func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> HookOutcome {
        state.withLock { state in
            state.calls.append(Call(argv: argv, environment: environment, timeout: timeout))
            return state.outcomes.isEmpty ? state.otherwise : state.outcomes.removeFirst()
        }
    }
}
