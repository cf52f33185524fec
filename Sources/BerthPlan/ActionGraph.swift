import BerthModel
import BerthCore

/// The plan's actions as a DAG, put in a topological order with deterministic ties.
struct ActionGraph {
    private var actions: [PlanAction] = []
    private var ranks: [Int] = []
    private var indexByID: [String: Int] = [:]

    mutating func add(_ action: PlanAction, rank: Int) {
        if let index = indexByID[action.id] {
            actions[index] = action
            ranks[index] = rank
            return
        }
        indexByID[action.id] = actions.count
        actions.append(action)
        ranks.append(rank)
    }

    /// Among the ready actions the lowest (rank, resource, kind) goes first. Dependencies on actions not
    /// in the plan are dropped.
    func sorted() -> [PlanAction] {
        let kindOrder = Dictionary(uniqueKeysWithValues: PlanAction.Kind.allCases.enumerated().map { ($1, $0) })
        let actions = self.actions, ranks = self.ranks, indexByID = self.indexByID
        let (order, _) = TopologicalOrder.sort(
            count: actions.count,
            dependencies: { actions[$0].dependsOn.compactMap { indexByID[$0] } },
            before: { a, b in
                if ranks[a] != ranks[b] { return ranks[a] < ranks[b] }
                if actions[a].resource != actions[b].resource { return actions[a].resource < actions[b].resource }
                return (kindOrder[actions[a].kind] ?? 0) < (kindOrder[actions[b].kind] ?? 0)
            }
        )
        return order.map { index in
            var action = actions[index]
            action.dependsOn = action.dependsOn.filter { indexByID[$0] != nil }
            return action
        }
    }
}
