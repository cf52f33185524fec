public import BerthModel

/// The plan's actions as a DAG, put in a topological order with deterministic ties.
struct Graph {
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

    /// Kahn's algorithm with a heap: among the ready actions the lowest (rank, resource, kind) goes first.
    /// O((actions + edges) log actions). Dependencies on actions not in the plan are dropped.
    func sorted() -> [PlanAction] {
        let kindOrder = Dictionary(uniqueKeysWithValues: PlanAction.Kind.allCases.enumerated().map { ($1, $0) })
        var waiting = [Int](repeating: 0, count: actions.count)
        var dependents = [[Int]](repeating: [], count: actions.count)
        for (index, action) in actions.enumerated() {
            for dependency in action.dependsOn {
                guard let other = indexByID[dependency] else { continue }
                waiting[index] += 1
                dependents[other].append(index)
            }
        }
        var heap = Heap { (a: Int, b: Int) -> Bool in
            if ranks[a] != ranks[b] { return ranks[a] < ranks[b] }
            if actions[a].resource != actions[b].resource { return actions[a].resource < actions[b].resource }
            return (kindOrder[actions[a].kind] ?? 0) < (kindOrder[actions[b].kind] ?? 0)
        }
        for index in actions.indices where waiting[index] == 0 { heap.push(index) }
        var result: [PlanAction] = []
        result.reserveCapacity(actions.count)
        while let index = heap.pop() {
            var action = actions[index]
            action.dependsOn = action.dependsOn.filter { indexByID[$0] != nil }
            result.append(action)
            for dependent in dependents[index] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { heap.push(dependent) }
            }
        }
        return result
    }
}

/// A binary min-heap ordered by `less`.
struct Heap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    init(less: @escaping (Element, Element) -> Bool) {
        self.less = less
    }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, less(items[left], items[smallest]) { smallest = left }
            if right < items.count, less(items[right], items[smallest]) { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
