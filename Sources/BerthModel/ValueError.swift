/// Why a value written in an environment file is not valid; the loader adds the place.
public struct ValueError: Error, Hashable, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
