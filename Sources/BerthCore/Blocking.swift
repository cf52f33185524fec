import Foundation

/// The rule for blocking work: every call that blocks on a database, a socket, an fsync or a sleep
/// of the system runs on a thread of its own, never on Swift's cooperative pool (two threads on a
/// two-core machine: one blocked call there stalls half of every task in the process). From async
/// code Berth does such work through `Blocking.run` (migrations, history reads, lock calls, config
/// writes), a serial queue of its own (the journal), or a thread per exchange (the engine's and the
/// health probe's sockets, `SocketTransport`). Sync code that already runs there may block (the migrator).
public enum Blocking {
    /// Runs `work` on a new thread and resumes the caller with its result.
    public static func run<Value: Sendable, Failure: Error>(
        _ name: String = "berth-blocking", _ work: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(Failure) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = name
            thread.start()
        }
        return try result.get()
    }
}

/// Two pieces of CPU work at once: `first` on a dispatch thread, `second` on the caller's, both
/// finished on return. For large pure computations (a plan's fingerprint beside the plan itself).
public enum Concurrently {
    public static func run<First: Sendable, Second>(
        _ first: @escaping @Sendable () -> First, _ second: () -> Second
    ) -> (First, Second) {
        let result = ResultBox<First>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { result.value = first() }
        let other = second()
        group.wait()
        // The group's wait orders the write before this read.
        return (result.value!, other)
    }

    private final class ResultBox<Value>: @unchecked Sendable {
        var value: Value?
    }
}
