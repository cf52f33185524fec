/// "Did you mean ...?" for a misspelt key or name.
///
/// Its cost is bounded whatever the file: a name is looked for among at most `candidateLimit` others (a longer
/// list is not one a person picks from by eye), a word longer than `wordLimit` bytes is no misspelt name, and a
/// candidate whose length alone puts it too far away is passed over unread. A file that misspells a hundred
/// thousand names among thousands costs time in proportion to its size, not to the product of the two.
/// Commands use it too, for a name given on the command line (`berth logs --env dev wbe`).
public enum Suggestion {
    static let candidateLimit = 100
    static let wordLimit = 64

    /// The candidate nearest to `word` (a few edits at most, case aside), or nil.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        guard candidates.underestimatedCount <= candidateLimit, word.utf8.count <= wordLimit else { return nil }
        let target = lowercased(word)
        let limit = max(1, min(3, word.count / 2))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates.prefix(candidateLimit) {
            // The distance is at least the difference in length.
            let bound = min(limit, (best?.distance ?? .max) - 1)
            guard abs(candidate.utf8.count - target.count) <= bound else { continue }
            let distance = editDistance(target, lowercased(candidate), atMost: bound)
            if distance <= bound { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// `; did you mean 'NAME'?`, or nothing.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The UTF-8 bytes, A-Z as a-z.
    private static func lowercased(_ text: String) -> [UInt8] {
        text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
    }

    /// Edit distance of the bytes, counting a swap of two neighbours as one edit ("destory" is one from
    /// "destroy"), with two rows of memory; past `bound` it stops, with a result over it.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], atMost bound: Int = .max) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var row = previous
        for i in 1...a.count {
            row[0] = i
            var smallest = i
            for j in 1...b.count {
                row[j] = a[i - 1] == b[j - 1] ? previous[j - 1] : 1 + min(previous[j - 1], previous[j], row[j - 1])
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { row[j] = min(row[j], before[j - 2] + 1) }
                smallest = min(smallest, row[j])
            }
            // No later row is smaller than this one's smallest.
            if smallest > bound { return smallest }
            (before, previous, row) = (previous, row, before)
        }
        return previous[b.count]
    }
}
