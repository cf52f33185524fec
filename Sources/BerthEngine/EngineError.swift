import BerthCore
/// Why a call to the container engine failed.
///
/// A struct over a private enum, like SwiftNIO's `FileSystemError`: callers switch on the stable
/// ``code`` (and read ``status`` for answers the engine refused), while the cases behind it can grow.
/// The ``description`` is a full sentence that names the endpoint and what happened.
public struct EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases.
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        /// The endpoint could not be connected to, or the connection broke mid-exchange.
        case unreachable
        /// The engine did not answer within the allotted time.
        case timeout
        /// The engine answered with a status outside 2xx (see ``EngineError/status``).
        case status
        /// The engine's answer was not HTTP, or not the JSON that was expected.
        case malformedResponse
        /// An endpoint text could not be understood.
        case invalidEndpoint
        /// The task waiting for the engine was cancelled.
        case cancelled

        public var description: String {
            switch self {
            case .unreachable: "unreachable"
            case .timeout: "timeout"
            case .status: "status"
            case .malformedResponse: "malformedResponse"
            case .invalidEndpoint: "invalidEndpoint"
            case .cancelled: "cancelled"
            }
        }
    }

    private enum Kind: Hashable, Sendable {
        case connect(endpoint: String, reason: String)
        case connectionLost(endpoint: String, reason: String)
        case timeout(endpoint: String, after: Duration)
        case status(endpoint: String, status: Int, message: String)
        case malformedResponse(endpoint: String, detail: String)
        case invalidEndpoint(text: String, reason: String)
        case cancelled(endpoint: String)
    }

    private let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// The engine could not be connected to (`reason` is the system's, e.g. "No such file or directory").
    public static func unreachable(endpoint: String, reason: String) -> EngineError {
        EngineError(.connect(endpoint: endpoint, reason: reason))
    }

    /// The connection broke after it was made (e.g. reset while reading the answer).
    public static func connectionLost(endpoint: String, reason: String) -> EngineError {
        EngineError(.connectionLost(endpoint: endpoint, reason: reason))
    }

    /// No complete answer arrived within `after`.
    public static func timeout(endpoint: String, after: Duration) -> EngineError {
        EngineError(.timeout(endpoint: endpoint, after: after))
    }

    /// The engine answered `status` (not 2xx) with its own `message`.
    public static func status(_ status: Int, message: String, endpoint: String) -> EngineError {
        EngineError(.status(endpoint: endpoint, status: status, message: message))
    }

    /// The answer could not be read; `detail` says how.
    public static func malformedResponse(endpoint: String, detail: String) -> EngineError {
        EngineError(.malformedResponse(endpoint: endpoint, detail: detail))
    }

    /// `text` is not an endpoint Berth can use; `reason` says why.
    public static func invalidEndpoint(_ text: String, reason: String) -> EngineError {
        EngineError(.invalidEndpoint(text: text, reason: reason))
    }

    /// The waiting task was cancelled before the engine answered.
    public static func cancelled(endpoint: String) -> EngineError {
        EngineError(.cancelled(endpoint: endpoint))
    }

    public var code: Code {
        switch kind {
        case .connect, .connectionLost: .unreachable
        case .timeout: .timeout
        case .status: .status
        case .malformedResponse: .malformedResponse
        case .invalidEndpoint: .invalidEndpoint
        case .cancelled: .cancelled
        }
    }

    /// The HTTP status the engine answered with, for ``Code/status``.
    public var status: Int? {
        if case .status(_, let status, _) = kind { return status }
        return nil
    }

    /// The engine's own message, for ``Code/status`` (Docker's and Podman's `message` field).
    public var engineMessage: String? {
        if case .status(_, _, let message) = kind { return message }
        return nil
    }

    /// The endpoint involved, in URL form (for ``Code/invalidEndpoint``, the text that was refused).
    public var endpoint: String {
        switch kind {
        case .connect(let endpoint, _), .connectionLost(let endpoint, _), .timeout(let endpoint, _),
            .status(let endpoint, _, _), .malformedResponse(let endpoint, _), .cancelled(let endpoint):
            endpoint
        case .invalidEndpoint(let text, _):
            text
        }
    }

    /// What went wrong in a few words, without the endpoint: the system's reason ("Connection refused"),
    /// "no answer within 2s", the engine's own message, what was malformed, or "cancelled".
    public var reason: String {
        switch kind {
        case .connect(_, let reason), .connectionLost(_, let reason), .invalidEndpoint(_, let reason): reason
        case .timeout(_, let after): "no answer within \(after.shortDescription)"
        case .status(_, _, let message): message
        case .malformedResponse(_, let detail): detail
        case .cancelled: "cancelled"
        }
    }

    /// The engine does not know the container or image (404).
    public var isNotFound: Bool { status == 404 }

    /// The container name is taken: Docker answers 409, Podman 500 with "already in use".
    public var isNameConflict: Bool {
        guard let status, let message = engineMessage else { return false }
        return status == 409 || (status == 500 && message.contains("already in use"))
    }

    public var description: String {
        switch kind {
        case .connect(let endpoint, let reason):
            "cannot reach the container engine at \(endpoint): \(reason) (is it running?)"
        case .connectionLost(let endpoint, let reason):
            "lost the connection to the container engine at \(endpoint): \(reason)"
        case .timeout(let endpoint, let after):
            "timed out after \(after.shortDescription) waiting for the engine at \(endpoint)"
        case .status(let endpoint, let status, let message):
            "the engine at \(endpoint) answered \(status): \(message)"
        case .malformedResponse(let endpoint, let detail):
            "the engine at \(endpoint) sent a malformed response: \(detail)"
        case .invalidEndpoint(let text, let reason):
            "invalid engine endpoint \"\(text)\": \(reason)"
        case .cancelled(let endpoint):
            "cancelled while waiting for the engine at \(endpoint)"
        }
    }

}
