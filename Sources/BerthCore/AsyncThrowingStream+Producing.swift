extension AsyncThrowingStream where Failure == any Error {
    /// How many elements a ``producing(_:)`` stream holds before its producer waits.
    public static var producingBuffer: Int { 16 }

    /// A stream whose elements `produce` hands on (``Continuation/send(_:)``) from a task of its own,
    /// holding at most ``producingBuffer`` of them: a producer faster than its consumer waits, so memory
    /// stays bounded. The stream finishes when `produce` returns, or with the error it throws; when
    /// the consumer stops iterating (or its task is cancelled), the producing task is cancelled, and
    /// with it whatever it awaits.
    public static func producing(
        _ produce: @escaping @Sendable (_ continuation: Continuation) async throws -> Void
    ) -> AsyncThrowingStream where Element: Sendable {
        let (stream, continuation) = makeStream(bufferingPolicy: .bufferingOldest(producingBuffer))
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

extension AsyncThrowingStream.Continuation where Failure == any Error, Element: Sendable {
    /// Hands `element` on, waiting while the consumer's buffer is full; throws `CancellationError`
    /// once the consumer has stopped or the task is cancelled.
    public func send(_ element: Element) async throws {
        while true {
            switch yield(element) {
            case .enqueued: return
            case .terminated: throw CancellationError()
            case .dropped:
                try await Task.sleep(for: .milliseconds(5))
            @unknown default: return
            }
        }
    }
}
