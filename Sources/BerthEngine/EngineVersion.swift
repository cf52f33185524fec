/// What `GET /version` says about the engine.
public struct EngineVersion: Hashable, Sendable {
    /// The engine's own version, e.g. "4.3.1" for Podman.
    public var version: String
    /// The newest Docker API version it serves, e.g. "1.41".
    public var apiVersion: String
    public var minAPIVersion: String?

    public init(version: String, apiVersion: String, minAPIVersion: String? = nil) {
        self.version = version
        self.apiVersion = apiVersion
        self.minAPIVersion = minAPIVersion
    }
}
