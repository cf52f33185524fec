#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// SIGINT and SIGTERM turned into a call, for a command that runs until it is interrupted (`logs
/// --follow`) and then ends cleanly instead of being killed.
///
/// The signal handler only writes a byte to a pipe (all a handler may safely do); a thread of its
/// own, which unblocks both signals so that they reach the process even when it was started with
/// them blocked, reads the pipe and makes the call. Installed once per process.
enum Interruption {
    /// The pipe's write end, for the handler; -1 until installed.
    nonisolated(unsafe) private static var pipeInput: Int32 = -1
    private static let action = Mutex<(@Sendable () -> Void)?>(nil)

    /// From now on, SIGINT or SIGTERM calls `action` (the last one given) instead of ending the process.
    static func onSignal(_ action: @escaping @Sendable () -> Void) {
        let first = Self.action.withLock { current in
            defer { current = action }
            return current == nil
        }
        guard first else { return }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        pipeInput = ends[1]
        let output = ends[0]
        let thread = Thread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            var byte: UInt8 = 0
            while true {
                let count = read(output, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                Self.action.withLock { $0 }?()
            }
        }
        thread.name = "berth-interruption"
        thread.start()
        var handler = sigaction()
        handler.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(Interruption.pipeInput, &byte, 1)
        }
        sigemptyset(&handler.sa_mask)
        handler.sa_flags = SA_RESTART
        sigaction(SIGINT, &handler, nil)
        sigaction(SIGTERM, &handler, nil)
    }
}
