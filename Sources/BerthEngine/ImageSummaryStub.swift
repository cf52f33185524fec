// Temporary until the engine lists images.
public struct ImageSummary: Hashable, Sendable {
    public var id: String
    public var repoTags: [String]
    public var repoDigests: [String]
}
extension ContainerEngine {
    public func listImages() async throws(EngineError) -> [ImageSummary] { [] }
}
