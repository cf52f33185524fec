extension HTTPRequest {
    /// The request as HTTP/1.1 bytes. Adds `Host`, `Content-Length` (for a body, and for POST, PUT
    /// and PATCH without one) and `Connection: close` unless the request carries them already.
    func serialized(host: String) -> [UInt8] {
        func clean(_ text: String) -> String {
            String(text.map { $0 == "\r" || $0 == "\n" ? " " : $0 })
        }
        var head = "\(clean(method)) \(clean(path)) HTTP/1.1\r\n"
        if headers.value(of: "Host") == nil { head += "Host: \(clean(host))\r\n" }
        for header in headers { head += "\(clean(header.name)): \(clean(header.value))\r\n" }
        let needsLength = body != nil || ["POST", "PUT", "PATCH"].contains(method.uppercased())
        if needsLength && headers.value(of: "Content-Length") == nil {
            head += "Content-Length: \(body?.count ?? 0)\r\n"
        }
        if headers.value(of: "Connection") == nil { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}
