/// One HTTP/1.1 request, as a value: built by ``EngineRequests`` and sent by an ``HTTPTransport``.
public struct HTTPRequest: Hashable, Sendable {
    /// "GET", "POST", "DELETE", ...
    public var method: String
    /// The request target: path and query, already percent-encoded (e.g. "/v1.41/containers/json?all=1").
    public var path: String
    /// Headers beyond those the transport adds itself (`Host`, `Content-Length`, `Connection`).
    public var headers: [HTTPHeader]
    /// The body, or nil for none.
    public var body: [UInt8]?

    public init(method: String, path: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text ("" for none).
    public var bodyText: String {
        String(decoding: body ?? [], as: UTF8.self)
    }
}

/// One header line. Names compare case-sensitively here; use ``HTTPHeader/matches(_:)`` for lookups.
public struct HTTPHeader: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Whether this header's name is `name`, ignoring ASCII case.
    public func matches(_ name: String) -> Bool {
        self.name.lowercased() == name.lowercased()
    }
}

extension [HTTPHeader] {
    /// The value of the first header named `name` (ignoring case).
    public func value(of name: String) -> String? {
        first { $0.matches(name) }?.value
    }
}
