/// One container as the engine's list reports it.
public struct ContainerSummary: Hashable, Sendable {
    public var id: String
    /// Without the leading "/" the engine puts on names.
    public var name: String
    /// The image reference, as the list reports it.
    public var image: String
    /// The ID of the image the container was made from (`sha256:...`): the exact bits, whatever
    /// tag has moved since. Empty when the engine does not say.
    public var imageID: String
    /// "running", "exited", "created", "paused", ...
    public var state: String
    /// "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago", ...
    public var status: String
    /// The container's labels, including those it inherited from its image.
    public var labels: [String: String]
    public var ports: [PortSummary]
    /// Creation time in seconds since 1970.
    public var created: Int

    public init(
        id: String, name: String, image: String, imageID: String = "", state: String, status: String,
        labels: [String: String] = [:], ports: [PortSummary] = [], created: Int = 0
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.state = state
        self.status = status
        self.labels = labels
        self.ports = ports
        self.created = created
    }

    public var isRunning: Bool { state == "running" }
}

/// One port of a listed container.
public struct PortSummary: Hashable, Sendable {
    /// The host address it is published on, if published.
    public var ip: String?
    public var privatePort: Int
    /// The host port, if published.
    public var publicPort: Int?
    /// "tcp" or "udp".
    public var type: String

    public init(ip: String? = nil, privatePort: Int, publicPort: Int? = nil, type: String = "tcp") {
        self.ip = ip
        self.privatePort = privatePort
        self.publicPort = publicPort
        self.type = type
    }
}
