/// The changed lines of two texts as the hunks of a unified diff, numbered and shaped as GNU `diff -u`
/// prints them, without its `---`/`+++` file header.
///
/// Lines are split on "\n" (byte 0x0A) and compared byte for byte; a final newline does not start an
/// extra empty line. A last line without a newline differs from the same text with one, and gets a
/// `\ No newline at end of file` line after it wherever it is printed, as diff does.
///
/// The edit script is found as GNU diff finds it, so that the two print the same hunks: lines with no
/// match in the other text are set aside first, Myers' O(ND) search with the linear-space middle snake
/// aligns the rest (giving up on minimality past about the square root of the input size, at least
/// 4096 steps, as diff does), and each run of changes is then slid to line up with the other side's
/// changes or as far down as it goes. Memory is linear in the number of lines. One difference is
/// known: diff also sets aside, in long runs of unmatched lines, lines that match very many others;
/// Berth does not, which can only pick another edit script of the same size for such inputs.
public enum UnifiedDiff {
    /// The hunks, each an `@@ -a,b +c,d @@` header followed by lines that start with ` `, `-` or `+`.
    /// Equal texts give no lines. `context` is the number of unchanged lines shown around changes.
    /// Output longer than `maxLines` lines is cut to `maxLines` lines, the last of them
    /// `... (N more lines of diff)`.
    public static func lines(old: String, new: String, context: Int = 3, maxLines: Int = 200) -> [String] {
        lines(old: old, new: new, context: context, maxLines: maxLines, minimumCostLimit: 4096)
    }

    /// `minimumCostLimit` is the least number of search steps before a shortest script is given up on.
    static func lines(old: String, new: String, context: Int, maxLines: Int, minimumCostLimit: Int) -> [String] {
        let oldText = Text(old), newText = Text(new)
        var classes: [LineKey: Int] = [:]
        let oldClasses = oldText.classes(into: &classes)
        let newClasses = newText.classes(into: &classes)
        let (oldChanged, newChanged) = EditScript.changedLines(
            oldClasses, newClasses, classCount: classes.count, minimumCostLimit: minimumCostLimit
        )
        let changes = Change.list(oldChanged: oldChanged, newChanged: newChanged)
        let output = hunks(changes, oldText, newText, context: max(0, context))
        return cut(output, to: maxLines)
    }

    static func cut(_ output: [String], to maxLines: Int) -> [String] {
        guard output.count > maxLines else { return output }
        let kept = max(0, maxLines - 1)
        return Array(output.prefix(kept)) + ["... (\(output.count - kept) more lines of diff)"]
    }

    /// Groups changes no more than `2 * context` unchanged lines apart into hunks and prints them.
    static func hunks(_ changes: [Change], _ old: Text, _ new: Text, context: Int) -> [String] {
        var output: [String] = []
        var index = 0
        while index < changes.count {
            var last = index
            while last + 1 < changes.count, changes[last + 1].old - changes[last].oldEnd <= 2 * context { last += 1 }
            let first0 = max(0, changes[index].old - context), first1 = max(0, changes[index].new - context)
            let last0 = min(old.count, changes[last].oldEnd + context), last1 = min(new.count, changes[last].newEnd + context)
            output.append("@@ -\(range(first0, last0)) +\(range(first1, last1)) @@")
            var i = first0
            for change in changes[index...last] {
                while i < change.old { old.print(i, " ", into: &output); i += 1 }
                for line in change.old..<change.oldEnd { old.print(line, "-", into: &output) }
                for line in change.new..<change.newEnd { new.print(line, "+", into: &output) }
                i = change.oldEnd
            }
            while i < last0 { old.print(i, " ", into: &output); i += 1 }
            index = last + 1
        }
        return output
    }

    /// Lines `start..<end` (0-based) as diff numbers them: `a,count`, `a` for one line, `b,0` for none,
    /// where `b` is the line before the empty range.
    static func range(_ start: Int, _ end: Int) -> String {
        switch end - start {
        case 0: "\(start),0"
        case 1: "\(start + 1)"
        default: "\(start + 1),\(end - start)"
        }
    }
}

extension UnifiedDiff {
    /// A line compared byte for byte; the last line of a text without a final newline is `incomplete`.
    struct LineKey: Hashable {
        var bytes: Substring.UTF8View
        var incomplete: Bool

        static func == (lhs: LineKey, rhs: LineKey) -> Bool {
            lhs.incomplete == rhs.incomplete && lhs.bytes.elementsEqual(rhs.bytes)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(incomplete)
            hasher.combine(bytes.count)
            for byte in bytes { hasher.combine(byte) }
        }
    }

    /// A text split into lines on "\n".
    struct Text {
        var lines: [Substring.UTF8View]
        var endsWithNewline: Bool

        init(_ string: String) {
            let substring = Substring(string)
            var lines = substring.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
            endsWithNewline = string.utf8.last.map { $0 == 0x0A } ?? true
            if endsWithNewline { lines.removeLast() }
            self.lines = lines
        }

        var count: Int { lines.count }

        /// The equivalence class of each line, numbered in `classes`, shared with the other text.
        func classes(into classes: inout [LineKey: Int]) -> [Int] {
            lines.indices.map { index in
                let key = LineKey(bytes: lines[index], incomplete: index == lines.count - 1 && !endsWithNewline)
                if let known = classes[key] { return known }
                let next = classes.count
                classes[key] = next
                return next
            }
        }

        func print(_ index: Int, _ mark: String, into output: inout [String]) {
            output.append(mark + String(decoding: lines[index], as: UTF8.self))
            if index == lines.count - 1, !endsWithNewline { output.append("\\ No newline at end of file") }
        }
    }

    /// A run of deleted old lines `old..<oldEnd` in place of new lines `new..<newEnd`, one side maybe empty.
    struct Change: Equatable {
        var old: Int, oldEnd: Int, new: Int, newEnd: Int

        static func list(oldChanged: [Bool], newChanged: [Bool]) -> [Change] {
            var changes: [Change] = []
            var i = 0, j = 0
            while i < oldChanged.count || j < newChanged.count {
                if (i < oldChanged.count && oldChanged[i]) || (j < newChanged.count && newChanged[j]) {
                    let start0 = i, start1 = j
                    while i < oldChanged.count, oldChanged[i] { i += 1 }
                    while j < newChanged.count, newChanged[j] { j += 1 }
                    changes.append(Change(old: start0, oldEnd: i, new: start1, newEnd: j))
                } else {
                    i += 1
                    j += 1
                }
            }
            return changes
        }
    }

    /// Which lines of each side a shortest (or, past the cost limit, short) edit script changes.
    enum EditScript {
        static func changedLines(_ a: [Int], _ b: [Int], classCount: Int, minimumCostLimit: Int) -> (old: [Bool], new: [Bool]) {
            // Lines that match nothing on the other side are changed; the search runs on the others.
            var countA = [Int](repeating: 0, count: classCount), countB = countA
            for line in a { countA[line] += 1 }
            for line in b { countB[line] += 1 }
            var oldChanged = a.map { countB[$0] == 0 }
            var newChanged = b.map { countA[$0] == 0 }
            let keptA = a.indices.filter { !oldChanged[$0] }, keptB = b.indices.filter { !newChanged[$0] }

            var search = Myers(xv: keptA.map { a[$0] }, yv: keptB.map { b[$0] }, minimumCostLimit: minimumCostLimit)
            search.compare(0, keptA.count, 0, keptB.count, findMinimal: false)
            for (index, changed) in search.changedX.enumerated() where changed { oldChanged[keptA[index]] = true }
            for (index, changed) in search.changedY.enumerated() where changed { newChanged[keptB[index]] = true }

            // Each side gets an unchanged sentinel line before and after it while runs are slid.
            var sides = [[false] + oldChanged + [false], [false] + newChanged + [false]]
            shiftBoundaries(&sides, classes: [a, b])
            return (Array(sides[0].dropFirst().dropLast()), Array(sides[1].dropFirst().dropLast()))
        }

        /// Slides each run of changed lines over equal lines: up to merge with an earlier run, down to merge
        /// with a later one, then as far down as it goes unless that leaves the other side's matching run.
        /// `changed[f][k + 1]` is line `k` of side `f`; index 0 and the last index are never changed.
        static func shiftBoundaries(_ changed: inout [[Bool]], classes: [[Int]]) {
            for f in 0..<2 {
                let other = 1 - f, equivs = classes[f], end = equivs.count
                var i = 0, j = 0
                while true {
                    while i < end, !changed[f][i + 1] {
                        while changed[other][j + 1] { j += 1 }
                        j += 1
                        i += 1
                    }
                    if i == end { break }
                    var start = i
                    i += 1
                    while changed[f][i + 1] { i += 1 }
                    while changed[other][j + 1] { j += 1 }
                    var runLength = 0, corresponding = end
                    repeat {
                        runLength = i - start
                        while start > 0, equivs[start - 1] == equivs[i - 1] {
                            start -= 1; changed[f][start + 1] = true
                            i -= 1; changed[f][i + 1] = false
                            while changed[f][start] { start -= 1 }
                            j -= 1
                            while changed[other][j + 1] { j -= 1 }
                        }
                        corresponding = changed[other][j] ? i : end
                        while i != end, equivs[start] == equivs[i] {
                            changed[f][start + 1] = false; start += 1
                            changed[f][i + 1] = true; i += 1
                            while changed[f][i + 1] { i += 1 }
                            j += 1
                            while changed[other][j + 1] { corresponding = i; j += 1 }
                        }
                    } while runLength != i - start
                    while corresponding < i {
                        start -= 1; changed[f][start + 1] = true
                        i -= 1; changed[f][i + 1] = false
                        j -= 1
                        while changed[other][j + 1] { j -= 1 }
                    }
                }
            }
        }
    }

    /// Myers' O(ND) difference search, linear space: the middle snake splits each problem in two.
    struct Myers {
        let xv: [Int], yv: [Int]
        var changedX: [Bool], changedY: [Bool]
        /// Furthest x reached on each diagonal `k = x - y`, forward and backward, at `k + offset`.
        var forward: [Int], backward: [Int]
        let offset: Int
        let tooExpensive: Int

        init(xv: [Int], yv: [Int], minimumCostLimit: Int) {
            self.xv = xv
            self.yv = yv
            changedX = [Bool](repeating: false, count: xv.count)
            changedY = [Bool](repeating: false, count: yv.count)
            let diagonals = xv.count + yv.count + 3
            forward = [Int](repeating: 0, count: diagonals)
            backward = forward
            offset = yv.count + 1
            var limit = 1, rest = diagonals
            while rest != 0 { limit <<= 1; rest >>= 2 }
            tooExpensive = max(minimumCostLimit, limit)
        }

        mutating func compare(_ xStart: Int, _ xEnd: Int, _ yStart: Int, _ yEnd: Int, findMinimal: Bool) {
            var xoff = xStart, xlim = xEnd, yoff = yStart, ylim = yEnd
            while xoff < xlim, yoff < ylim, xv[xoff] == yv[yoff] { xoff += 1; yoff += 1 }
            while xoff < xlim, yoff < ylim, xv[xlim - 1] == yv[ylim - 1] { xlim -= 1; ylim -= 1 }
            if xoff == xlim {
                for y in yoff..<ylim { changedY[y] = true }
            } else if yoff == ylim {
                for x in xoff..<xlim { changedX[x] = true }
            } else {
                let split = middle(xoff, xlim, yoff, ylim, findMinimal: findMinimal)
                compare(xoff, split.x, yoff, split.y, findMinimal: split.lowMinimal)
                compare(split.x, xlim, split.y, ylim, findMinimal: split.highMinimal)
            }
        }

        struct Split { var x: Int, y: Int, lowMinimal: Bool, highMinimal: Bool }

        /// The middle snake of `xv[xoff..<xlim]` against `yv[yoff..<ylim]`, both non-empty and differing at
        /// both ends; past `tooExpensive` steps, the point that got furthest instead.
        mutating func middle(_ xoff: Int, _ xlim: Int, _ yoff: Int, _ ylim: Int, findMinimal: Bool) -> Split {
            let o = offset
            let dmin = xoff - ylim, dmax = xlim - yoff
            let fmid = xoff - yoff, bmid = xlim - ylim
            var fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid
            let odd = (fmid - bmid) & 1 != 0
            forward[o + fmid] = xoff
            backward[o + bmid] = xlim
            var cost = 1
            while true {
                if fmin > dmin { fmin -= 1; forward[o + fmin - 1] = -1 } else { fmin += 1 }
                if fmax < dmax { fmax += 1; forward[o + fmax + 1] = -1 } else { fmax -= 1 }
                for d in stride(from: fmax, through: fmin, by: -2) {
                    let low = forward[o + d - 1], high = forward[o + d + 1]
                    var x = low >= high ? low + 1 : high
                    var y = x - d
                    while x < xlim, y < ylim, xv[x] == yv[y] { x += 1; y += 1 }
                    forward[o + d] = x
                    if odd, bmin <= d, d <= bmax, backward[o + d] <= x {
                        return Split(x: x, y: y, lowMinimal: true, highMinimal: true)
                    }
                }
                if bmin > dmin { bmin -= 1; backward[o + bmin - 1] = Int.max } else { bmin += 1 }
                if bmax < dmax { bmax += 1; backward[o + bmax + 1] = Int.max } else { bmax -= 1 }
                for d in stride(from: bmax, through: bmin, by: -2) {
                    let low = backward[o + d - 1], high = backward[o + d + 1]
                    var x = low < high ? low : high - 1
                    var y = x - d
                    while x > xoff, y > yoff, xv[x - 1] == yv[y - 1] { x -= 1; y -= 1 }
                    backward[o + d] = x
                    if !odd, fmin <= d, d <= fmax, x <= forward[o + d] {
                        return Split(x: x, y: y, lowMinimal: true, highMinimal: true)
                    }
                }
                if !findMinimal, cost >= tooExpensive {
                    return furthest(xoff, xlim, yoff, ylim, forward: fmin...fmax, backward: bmin...bmax)
                }
                cost += 1
            }
        }

        /// Gives up on a shortest script: splits at the forward or backward point that covered more.
        func furthest(
            _ xoff: Int, _ xlim: Int, _ yoff: Int, _ ylim: Int, forward f: ClosedRange<Int>, backward b: ClosedRange<Int>
        ) -> Split {
            var forwardBest = -1, forwardX = xoff
            for d in stride(from: f.upperBound, through: f.lowerBound, by: -2) {
                var x = min(forward[offset + d], xlim), y = x - d
                if ylim < y { x = ylim + d; y = ylim }
                if forwardBest < x + y { forwardBest = x + y; forwardX = x }
            }
            var backwardBest = Int.max, backwardX = xlim
            for d in stride(from: b.upperBound, through: b.lowerBound, by: -2) {
                var x = max(xoff, backward[offset + d]), y = x - d
                if y < yoff { x = yoff + d; y = yoff }
                if x + y < backwardBest { backwardBest = x + y; backwardX = x }
            }
            if (xlim + ylim) - backwardBest < forwardBest - (xoff + yoff) {
                return Split(x: forwardX, y: forwardBest - forwardX, lowMinimal: true, highMinimal: false)
            }
            return Split(x: backwardX, y: backwardBest - backwardX, lowMinimal: false, highMinimal: true)
        }
    }
}
