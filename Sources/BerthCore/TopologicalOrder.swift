/// Kahn's algorithm with a heap: items after the items they depend on, and among the items that
/// are ready, the one `before` puts first. O((items + edges) log items). The one topological sort
/// of Berth: the plan's actions, services by `depends_on`, and cycle detection all use it.
public enum TopologicalOrder {
    /// The order of `count` items, given each item's dependencies as indices. Items on a cycle (or
    /// waiting on one) are left out of `order` and listed in `cyclic`, in index order.
    public static func sort(
        count: Int, dependencies: (Int) -> [Int], before: @escaping (Int, Int) -> Bool
    ) -> (order: [Int], cyclic: [Int]) {
        var waiting = [Int](repeating: 0, count: count)
        var dependents = [[Int]](repeating: [], count: count)
        for index in 0..<count {
            for dependency in dependencies(index) where dependency >= 0 && dependency < count {
                waiting[index] += 1
                dependents[dependency].append(index)
            }
        }
        var ready = Heap<Int>(less: before)
        for index in 0..<count where waiting[index] == 0 { ready.push(index) }
        var order: [Int] = []
        order.reserveCapacity(count)
        while let index = ready.pop() {
            order.append(index)
            for dependent in dependents[index] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.push(dependent) }
            }
        }
        let cyclic = order.count == count ? [] : (0..<count).filter { waiting[$0] > 0 }
        return (order, cyclic)
    }
}

/// A binary min-heap ordered by `less`.
public struct Heap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    public init(less: @escaping (Element, Element) -> Bool) {
        self.less = less
    }

    public var isEmpty: Bool { items.isEmpty }

    public mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    public mutating func pop() -> Element? {
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
