import Foundation
import Testing
import BerthTestSupport
@testable import BerthPlan

/// The oracle is GNU `diff -u` (diffutils 3.8): the expected hunks below are its output without the
/// `---`/`+++` header, and one test runs it on generated files where it is installed.
@Suite struct UnifiedDiffTests {
    @Test("hunks as GNU diff -u prints them", arguments: [
        ("a\nb\nc\n", "a\nB\nc\n", 3, ["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]),
        ("", "a\nb\nc\n", 3, ["@@ -0,0 +1,3 @@", "+a", "+b", "+c"]),
        ("a\nb\n", "", 3, ["@@ -1,2 +0,0 @@", "-a", "-b"]),
        ("a\n", "b\n", 3, ["@@ -1 +1 @@", "-a", "+b"]),
        ("a\nb", "a\nb\n", 3, ["@@ -1,2 +1,2 @@", " a", "-b", "\\ No newline at end of file", "+b"]),
        ("a\nb\n", "a\nb", 3, ["@@ -1,2 +1,2 @@", " a", "-b", "+b", "\\ No newline at end of file"]),
        ("1\n2\n3\n4\n5\n6\n7\n8\n9", "1\n2\n3\n4\n5\n6\n7\n8\nnine", 3, [
            "@@ -6,4 +6,4 @@", " 6", " 7", " 8", "-9", "\\ No newline at end of file", "+nine", "\\ No newline at end of file",
        ]),
        ("a", "", 3, ["@@ -1 +0,0 @@", "-a", "\\ No newline at end of file"]),
        ("", "a", 3, ["@@ -0,0 +1 @@", "+a", "\\ No newline at end of file"]),
        ("a\nb\nc\nd\ne\nf\ng\n", "X\na\nb\nc\nd\ne\nf\ng\n", 3, ["@@ -1,3 +1,4 @@", "+X", " a", " b", " c"]),
        ("a\n\n\nb\n", "a\n\n\n\nb\n", 3, ["@@ -1,4 +1,5 @@", " a", " ", " ", "+", " b"]),
        ("k=1\r\nv=2\r\n", "k=1\r\nv=3\r\n", 3, ["@@ -1,2 +1,2 @@", " k=1\r", "-v=2\r", "+v=3\r"]),
        ("x\ny\n", "y\nx\n", 3, ["@@ -1,2 +1,2 @@", "-x", " y", "+x"]),
        ("a\nb\nc\nd\ne\nf\n", "a\nc\ne\nb\nd\nf\n", 3, ["@@ -1,6 +1,6 @@", " a", "-b", " c", "-d", " e", "+b", "+d", " f"]),
        ("}\n}\nx\n}\n", "}\nx\n}\n}\n", 3, ["@@ -1,4 +1,4 @@", " }", "-}", " x", " }", "+}"]),
        ("a\nb\n", "a\nX\nb\n", 0, ["@@ -1,0 +2 @@", "+X"]),
        ("a\nb\nc\n", "a\nc\n", 0, ["@@ -2 +1,0 @@", "-b"]),
        ("a\nb\nc\nd\n", "a\nX\nc\nY\n", 1, ["@@ -1,4 +1,4 @@", " a", "-b", "+X", " c", "-d", "+Y"]),
    ] as [(String, String, Int, [String])])
    func matchesGNUDiff(_ old: String, _ new: String, _ context: Int, _ expected: [String]) {
        #expect(UnifiedDiff.lines(old: old, new: new, context: context) == expected)
    }

    @Test("changes 7 unchanged lines apart make two hunks, 6 apart one")
    func hunkGrouping() {
        let old = (1...15).map { "\($0)\n" }.joined()
        let twoHunks = old.replacingOccurrences(of: "\n2\n", with: "\nTWO\n").replacingOccurrences(of: "\n14\n", with: "\nFOURTEEN\n")
        #expect(UnifiedDiff.lines(old: old, new: twoHunks) == [
            "@@ -1,5 +1,5 @@", " 1", "-2", "+TWO", " 3", " 4", " 5",
            "@@ -11,5 +11,5 @@", " 11", " 12", " 13", "-14", "+FOURTEEN", " 15",
        ])
        let oneHunk = old.replacingOccurrences(of: "\n2\n", with: "\nTWO\n").replacingOccurrences(of: "\n9\n", with: "\nNINE\n")
        #expect(UnifiedDiff.lines(old: old, new: oneHunk) == [
            "@@ -1,12 +1,12 @@", " 1", "-2", "+TWO", " 3", " 4", " 5", " 6", " 7", " 8", "-9", "+NINE", " 10", " 11", " 12",
        ])
    }

    @Test("equal texts give no lines", arguments: ["", "a", "a\n", "a\nb\n", "\n\n"])
    func equal(_ text: String) {
        #expect(UnifiedDiff.lines(old: text, new: text).isEmpty)
    }

    @Test("a diff longer than maxLines is cut, and its last line says how much is left")
    func cut() {
        let old = (1...10).map { "old \($0)\n" }.joined(), new = (1...10).map { "new \($0)\n" }.joined()
        let full = UnifiedDiff.lines(old: old, new: new)
        #expect(full.count == 21)
        let cut = UnifiedDiff.lines(old: old, new: new, maxLines: 5)
        #expect(cut == Array(full.prefix(4)) + ["... (17 more lines of diff)"])
        #expect(UnifiedDiff.lines(old: old, new: new, maxLines: 21) == full)
        #expect(UnifiedDiff.lines(old: old, new: new, maxLines: 20).last == "... (2 more lines of diff)")
        #expect(UnifiedDiff.lines(old: old, new: new, maxLines: 0) == ["... (21 more lines of diff)"])
    }

    @Test("10,000 lines with 10 changed lines give 10 hunks, each at its line")
    func largeFewChanges() {
        let old = (0..<10_000).map { "line \($0)" }
        var new = old
        let changed = (0..<10).map { $0 * 1_000 + 500 }
        for index in changed { new[index] = "changed \(index)" }
        let lines = UnifiedDiff.lines(old: old.joined(separator: "\n") + "\n", new: new.joined(separator: "\n") + "\n", maxLines: 1_000)
        var expected: [String] = []
        for index in changed {
            expected.append("@@ -\(index - 2),7 +\(index - 2),7 @@")
            expected += (index - 3..<index).map { " line \($0)" }
            expected += ["-line \(index)", "+changed \(index)"]
            expected += (index + 1...index + 3).map { " line \($0)" }
        }
        #expect(lines == expected)
    }

    @Test("past the search's cost limit the script may be longer than the shortest, but still patches old into new")
    func costLimit() {
        let old = (0..<300).map { "line \($0 % 40)\n" }
        let new = old.reversed().map { $0 } + ["end\n"]
        let limited = UnifiedDiff.lines(old: old.joined(), new: new.joined(), context: 3, maxLines: .max, minimumCostLimit: 2)
        #expect(Self.apply(limited, to: old.joined()) == new.joined())
        let shortest = UnifiedDiff.lines(old: old.joined(), new: new.joined(), maxLines: .max)
        #expect(Self.apply(shortest, to: old.joined()) == new.joined())
        let changedCount = { (lines: [String]) in lines.filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count }
        #expect(changedCount(limited) > changedCount(shortest))
    }

    @Test("30 generated pairs patch old into new, and equal GNU diff -u's hunks where diff is installed")
    func generatedAgainstGNUDiff() throws {
        var random = SeededRandom(seed: 0xBE27_D1FF)
        let pairs = (0..<30).map { _ in Self.generatedPair(&random) }
        let diffInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/diff")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-unified-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var differing = 0
        for (old, new) in pairs {
            let lines = UnifiedDiff.lines(old: old, new: new, maxLines: .max)
            #expect(Self.apply(lines, to: old) == new, "old: \(old.debugDescription) new: \(new.debugDescription)")
            if old != new { differing += 1 }
            if diffInstalled {
                let gnu = try Self.gnuDiff(old, new, in: directory)
                #expect(lines == gnu, "old: \(old.debugDescription) new: \(new.debugDescription)")
            }
        }
        #expect(differing >= 25)
    }

    // MARK: - Helpers

    /// GNU diff's hunks for two texts: `diff -u` in the C locale, without its two header lines.
    static func gnuDiff(_ old: String, _ new: String, in directory: URL) throws -> [String] {
        let oldFile = directory.appendingPathComponent("old"), newFile = directory.appendingPathComponent("new")
        try Data(old.utf8).write(to: oldFile)
        try Data(new.utf8).write(to: newFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", oldFile.path, newFile.path]
        process.environment = ["LC_ALL": "C"]
        // Errors go to a file, so that only one pipe needs draining: it is read to its end before the
        // wait, as a full pipe would block diff and so the wait.
        let errorFile = directory.appendingPathComponent("errors")
        try Data().write(to: errorFile)
        let errors = try FileHandle(forWritingTo: errorFile)
        defer { try? errors.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == (old == new ? 0 : 1))
        #expect(try Data(contentsOf: errorFile).isEmpty)
        let lines = splitLines(data)
        return Array(lines.dropFirst(2))
    }

    static func splitLines(_ data: Data) -> [String] {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Applies hunks to a text, checking every context and deleted line against it; nil where one differs.
    static func apply(_ hunks: [String], to text: String) -> String? {
        let old = splitLines(Data(text.utf8))
        var result: [String] = [], position = 0, resultIncomplete = false, previous = ""
        for line in hunks {
            switch line.first {
            case "@":
                let oldRange = line.dropFirst(4).prefix { $0 != " " }
                guard let start = Int(oldRange.prefix { $0 != "," }) else { return nil }
                let count = oldRange.contains(",") ? Int(oldRange.drop { $0 != "," }.dropFirst()) : 1
                let first = count == 0 ? start : start - 1
                guard first >= position, first <= old.count else { return nil }
                result += old[position..<first]
                position = first
            case "\\":
                guard line == "\\ No newline at end of file" else { return nil }
                if previous.hasPrefix("+") || previous.hasPrefix(" ") { resultIncomplete = true }
            case " ", "-":
                guard position < old.count, old[position] == line.dropFirst() else { return nil }
                if line.hasPrefix(" ") { result.append(old[position]) }
                position += 1
            case "+":
                result.append(String(line.dropFirst()))
            default:
                return nil
            }
            previous = line
        }
        if position < old.count {
            result += old[position...]
            resultIncomplete = !text.hasSuffix("\n")
        }
        return result.isEmpty ? "" : result.joined(separator: "\n") + (resultIncomplete ? "" : "\n")
    }

    /// A small config-like file and an edited copy: lines repeat, lines go, come and change, and either
    /// side may lack its final newline.
    static func generatedPair(_ random: inout SeededRandom) -> (String, String) {
        let vocabulary = ["server {", "}", "", "listen 80;", "listen 443;", "root /srv/www;", "# comment", "a", "b", "c"]
        let old = (0..<random.below(13)).map { _ in vocabulary[random.below(vocabulary.count)] }
        var new: [String] = []
        for line in old {
            switch random.below(8) {
            case 0: break
            case 1: new.append(vocabulary[random.below(vocabulary.count)])
            case 2: new += [vocabulary[random.below(vocabulary.count)], line]
            case 3: new += [vocabulary[random.below(vocabulary.count)], vocabulary[random.below(vocabulary.count)]]
            default: new.append(line)
            }
        }
        if random.below(2) == 0 { new.append(vocabulary[random.below(vocabulary.count)]) }
        func text(_ lines: [String]) -> String {
            lines.isEmpty ? "" : lines.joined(separator: "\n") + (random.below(5) == 0 ? "" : "\n")
        }
        return (text(old), text(new))
    }
}
