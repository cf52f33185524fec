/// One image as the engine's image list reports it.
public struct ImageSummary: Hashable, Sendable {
    /// The image id ("sha256:..." on Docker and Podman).
    public var id: String
    /// The references naming it, e.g. `localhost/berth-example-web:1.0.0` (Podman) or `nginx:1.27` (Docker);
    /// empty for an untagged image.
    public var repoTags: [String]
    /// The references by digest, e.g. `localhost/berth-example-web@sha256:...`; empty when it has none.
    public var repoDigests: [String]

    public init(id: String, repoTags: [String] = [], repoDigests: [String] = []) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
    }
}
