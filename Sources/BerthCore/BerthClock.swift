public import Foundation
import Synchronization

/// Time as an input. Everything in Berth that waits (health gates, lock waits, lease renewal,
/// retries) sleeps on an injected clock, and everything it records takes `now` from it, so a test
/// can stand on any day and a wait of a minute takes no time at all.
public protocol BerthClock: Sendable {
    /// Wall-clock time, for records (journal entries, leases).
    var now: Date { get }
    /// Monotonic time since an arbitrary origin, for deadlines and durations.
    var elapsed: Duration { get }
    /// Suspends for `duration`; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
    /// Blocks the calling thread for `duration`: only for code that runs on a thread of its own (`Blocking`).
    func sleepBlocking(for duration: Duration)
}

extension BerthClock {
    /// The monotonic time `duration` from now, for deadlines.
    public func deadline(after duration: Duration) -> Duration { elapsed + duration }
}

/// The machine's clocks: `Date()` and `ContinuousClock`.
public struct SystemClock: BerthClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Date { Date() }
    public var elapsed: Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    public func sleepBlocking(for duration: Duration) {
        guard duration > .zero else { return }
        Thread.sleep(forTimeInterval: duration.seconds)
    }
}

/// A clock for tests: time moves only when someone sleeps on it (or `advance` is called), and a
/// sleep returns after moving it and one real millisecond (so a loop that waits on it, a lease
/// renewal, cannot spin). A wait of minutes takes no time, and every wait is counted.
public final class TestClock: BerthClock {
    private struct State {
        var elapsed: Duration = .zero
        var sleeps: [Duration] = []
    }

    private let start: Date
    private let state = Mutex(State())

    public init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.start = now
    }

    public var now: Date { start.addingTimeInterval(elapsed.seconds) }
    public var elapsed: Duration { state.withLock { $0.elapsed } }
    /// Every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    public func advance(by duration: Duration) {
        state.withLock { $0.elapsed += duration }
    }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.elapsed += max(duration, .zero)
            $0.sleeps.append(duration)
        }
        try await Task.sleep(for: .milliseconds(1))
    }

    public func sleepBlocking(for duration: Duration) {
        state.withLock {
            $0.elapsed += max(duration, .zero)
            $0.sleeps.append(duration)
        }
    }
}
