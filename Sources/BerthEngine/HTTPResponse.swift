/// One HTTP response, its body complete (chunked encoding already removed).
public struct HTTPResponse: Hashable, Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    /// 200 to 299.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
