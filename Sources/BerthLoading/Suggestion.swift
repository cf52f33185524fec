/// "Did you mean ...?" for a misspelt key or name.
///
/// A suggestion is at most 3 edits away, so the work stays bounded whatever the input: a candidate
/// whose length differs by more is skipped, and the distance is computed only near the diagonal and
/// given up once it passes the limit. Two keys of 200 KB cost a few times their length, not its square.
enum Suggestion {
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(word.lowercased())
        let limit = max(1, min(3, target.count / 2))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            // Only a strictly closer candidate replaces the best, so it is enough to look that far.
            let within = min(limit, (best?.distance ?? limit + 1) - 1)
            if let distance = editDistance(target, Array(candidate.lowercased()), atMost: within) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The Levenshtein distance of `a` and `b` when it is at most `limit`, else nil. Only cells within
    /// `limit` of the diagonal can lead to such a distance, so the work is about `(2 * limit + 1) * a.count`;
    /// a cell outside that band, or past the limit, holds `limit + 1`.
    static func editDistance(_ a: [Character], _ b: [Character], atMost limit: Int) -> Int? {
        guard limit >= 0, abs(a.count - b.count) <= limit else { return nil }
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        let over = limit + 1
        var row = (0...b.count).map { min($0, over) }
        for i in 1...a.count {
            let low = max(1, i - limit), high = min(b.count, i + limit)
            guard low <= high else { return nil }
            var previous = row[low - 1]
            row[low - 1] = low == 1 ? min(i, over) : over
            var rowMinimum = row[low - 1]
            for j in low...high {
                let saved = row[j]
                row[j] = min(over, a[i - 1] == b[j - 1] ? previous : 1 + min(previous, row[j], row[j - 1]))
                rowMinimum = min(rowMinimum, row[j])
                previous = saved
            }
            if rowMinimum > limit { return nil }
        }
        return row[b.count] <= limit ? row[b.count] : nil
    }
}
