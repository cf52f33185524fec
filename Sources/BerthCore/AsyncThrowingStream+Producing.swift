extension AsyncThrowingStream where Failure == any Error {
    /// A stream whose elements `produce` yields from a task of its own. The stream finishes when
    /// `produce` returns, or with the error it throws; when the consumer stops iterating (or its task
    /// is cancelled), the producing task is cancelled, and with it whatever it awaits.
    public static func producing(
        _ produce: @escaping @Sendable (_ continuation: Continuation) async throws -> Void
    ) -> AsyncThrowingStream where Element: Sendable {
        let (stream, continuation) = makeStream()
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
