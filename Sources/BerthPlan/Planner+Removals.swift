import BerthModel

extension PlanBuilder {
    /// Managed containers nobody wants (a removed service, a replica beyond the count, a duplicate),
    /// each after its service's other changes, so capacity never dips first.
    mutating func planRemovals(rank: Int) {
        for finding in findings {
            guard case .containerUnexpected(let container, let reason) = finding else { continue }
            graph.add(
                PlanAction(
                    kind: .remove, resource: "container:\(container.name)", cause: "not desired: \(reason)", effect: .delete,
                    dependsOn: container.service.flatMap { serviceActions[$0] } ?? [],
                    target: .container(id: container.id, name: container.name)
                ),
                rank: rank
            )
        }
    }
}
