public import BerthModel

/// What a plan needs from the world before anything changes, observed after planning and only when
/// the plan creates containers: the images the engine has (one list call) and which host ports are
/// taken (a bind attempt each). Berth never pulls, so an image the engine lacks is a problem at plan time.
public struct Preflight: Hashable, Sendable {
    /// Every reference the engine knows an image by (tags and digests).
    public var images: [String]
    /// The fixed host ports the plan's new containers bind that could not be bound when observed.
    public var takenPorts: Set<HostPort>

    public init(images: [String], takenPorts: Set<HostPort>) {
        self.images = images
        self.takenPorts = takenPorts
    }

    /// The images and host ports the plan's new containers need.
    public static func needs(_ plan: Plan) -> (images: [String], ports: [HostPort]) {
        var images: [String] = []
        var ports: [HostPort] = []
        var seenImages: Set<String> = []
        var seenPorts: Set<HostPort> = []
        for case .newContainer(let blueprint) in plan.actions.map(\.target) {
            if seenImages.insert(blueprint.image).inserted { images.append(blueprint.image) }
            for port in blueprint.hostPorts where seenPorts.insert(port).inserted { ports.append(port) }
        }
        return (images, ports)
    }

    /// The plan with a problem for every new container whose image is missing, or whose host port is
    /// held by anything but a container the plan stops or removes before creating it. Pure.
    public func check(_ plan: Plan, observed: ObservedState) -> Plan {
        var checked = plan
        let byID = Dictionary(plan.actions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Indexes, so that each port is a look-up, not a scan of every taken port and every container.
        var taken = HostPortIndex()
        for port in takenPorts { taken.file(0, under: port) }
        var holders = HostPortIndex()
        for (position, container) in observed.containers.enumerated() where container.isRunning {
            for port in container.ports { holders.file(position, under: port) }
        }
        for action in plan.actions {
            guard case .newContainer(let blueprint) = action.target else { continue }
            if !images.contains(where: { Comparison.sameImage(reported: $0, wanted: blueprint.image) }) {
                checked.problems.append(
                    "\(action.resource): the image \(blueprint.image) is not in the container engine; Berth never pulls: build or load it on the engine's host first (podman load, docker load)"
                )
            }
            let takenHere = blueprint.hostPorts.filter { taken.first(overlapping: $0) != nil }
            guard !takenHere.isEmpty else { continue }
            let freedBefore = Self.containersFreed(before: action, in: byID)
            for port in takenHere {
                let holder = holders.first(overlapping: port).map { observed.containers[$0] }
                if let holder, freedBefore.contains(holder.id) { continue }
                let who = holder.map { "the container \($0.name), which this plan does not stop first" } ?? "another process"
                checked.problems.append("\(action.resource): host port \(port) is taken by \(who)")
            }
        }
        return checked
    }

    /// The ids of the containers that actions `action` depends on (directly or not) stop or remove.
    private static func containersFreed(before action: PlanAction, in actions: [String: PlanAction]) -> Set<String> {
        var freed: Set<String> = []
        var seen: Set<String> = []
        var pending = action.dependsOn
        while let id = pending.popLast() {
            guard seen.insert(id).inserted, let dependency = actions[id] else { continue }
            if dependency.kind == .stop || dependency.kind == .remove, case .container(let containerID, _) = dependency.target {
                freed.insert(containerID)
            }
            pending += dependency.dependsOn
        }
        return freed
    }
}
