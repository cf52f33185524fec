import Foundation
import Glibc

/// SplitMix64: small, fast and the same on every machine, so that a seed names an input for good.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number below `bound` (which must be positive).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// True once in `n` times.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
}

/// A project as files on disk: contents, or something that is not a regular file where one is expected.
public struct FuzzProject: Sendable {
    public enum Entry: Sendable, Equatable {
        case file([UInt8])
        case pipe
        case directory
        case link(String)
    }

    /// Relative path (`environments/dev.yaml`) -> entry.
    public var entries: [String: Entry]

    public init(entries: [String: Entry]) {
        self.entries = entries
    }

    /// Writes the entries below `root`, which is emptied first.
    public func write(to root: String) throws {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root + "/environments", withIntermediateDirectories: true)
        for (relative, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            switch entry {
            case .file(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
            case .pipe: _ = mkfifo(path, 0o644)
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            case .link(let target): try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
            }
        }
    }
}

/// Changes a project the way hurried hands, broken editors and hostile files would: bytes, lines, YAML
/// structure, line breaks and encodings, sizes, and the kind of file that stands where a file should.
public struct ProjectMutator: Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case flipBits, insertToken, deleteLine, duplicateLine, swapLines, reindent, splice, lineBreak, invalidUTF8,
             repeatSlice, anchorAndAlias, deepNesting, tag, interestingScalar, truncate, deleteRange, notAFile,
             newEnvironment, removeFile
    }

    /// Files any mutation may splice from.
    let pool: [[UInt8]]
    /// About the most bytes a repeat adds to a file.
    let largest: Int

    public init(pool: [[UInt8]], largest: Int = 1 << 20) {
        self.pool = pool.filter { !$0.isEmpty }
        self.largest = largest
    }

    static let tokens: [String] = [
        ": ", ":", "- ", "-", "? ", "&a ", "*a", "*b", "!", "!!str ", "|", "|-", ">", ">+", "{", "}", "[", "]", ",", "#", "\"", "'",
        "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "<<: *a\n", "<<: ", "\t", "@", "`", "{{", "}}", "{{ x }}",
        "{{ greeting }}", "~", "null", "extends: base\n", "extends: ", "services:\n", "  web:\n", "    image: ", "depends_on: [web]",
        "ports: [\"8080:80\"]", "replicas: ", "secret: ", "env: ", "file: ", "value: ", "template: ", "target: ", "source: ",
        "condition: ", "healthcheck:\n", "url: ", "..", "/", "../../", "\\", "\\u0000", "\\x", "%", "$", "${X}", "=",
    ]

    static let scalars: [String] = [
        "0", "-1", "1", "65535", "65536", "99999999999999999999999", "1e400", "-0", "0x10", "0o17", "1_000", ".inf", "-.nan",
        "true", "yes", "no", "on", "0.0.0.0", "::", "[::1]", "127.0.0.1:1-65535:80", "1-0:80", "0640", "-0640", "9999",
        "1000", "1001", "0s", "25h", "1ms", "-5s", "service_healthy", "migrations_applied", "postgres://u:p@h/d",
        "sqlite:", "sqlite:/", "/etc", "/", "..", "../x", "localhost/web:1.0.0", "http://x/y", "localhost/WEB", "production",
        "\"\"", "''", "\"\\u202E\"", "\"\\0\"", "\"\\xFF\"", "!!binary AAAA", "{secret: api_token}", "{env: X}", "{file: /dev/zero}",
    ]

    static let lineBreaks: [[UInt8]] = [
        [0x0D], [0x0D, 0x0A], [0x0A, 0x0D], [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0xA9], [0xC2, 0x85], [0xEF, 0xBB, 0xBF], [0x00],
        [0x0B], [0x0C], [0x1B, 0x5B, 0x33, 0x31, 0x6D], [0xE2, 0x80, 0xAE],
    ]

    static let invalidUTF8: [[UInt8]] = [
        [0xFF], [0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x80], [0xF0, 0x9F], [0x80],
        [0xC3], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ]

    static let tags = ["!!map ", "!!seq ", "!!str ", "!!int ", "!!bool ", "!!null ", "!!float ", "!!binary ", "!!timestamp ",
                       "!custom ", "!<tag:yaml.org,2002:str> ", "!<> ", "!! ", "!e!x "]

    static let linkTargets = ["/dev/zero", "/dev/null", "/nonexistent", "/", "..", "../..", ".", "base.yaml", "dev.yaml", "/etc/hostname", "loop"]

    /// `count` mutations of `project`, each of a random kind, described in order.
    public func mutate(_ project: inout FuzzProject, count: Int, random: inout SeededRandom) -> [String] {
        (0..<count).map { _ in mutate(&project, kind: random.pick(Kind.allCases), random: &random) }
    }

    /// One mutation of `kind` to a file of `project` (mostly an environment file), described.
    public func mutate(_ project: inout FuzzProject, kind: Kind, random: inout SeededRandom) -> String {
        let files = project.entries.keys.sorted()
        let yaml = files.filter { $0.hasSuffix(".yaml") }
        let candidates = random.oneIn(5) || yaml.isEmpty ? files : yaml
        guard !candidates.isEmpty else {
            project.entries["environments/dev.yaml"] = .file(random.pick(pool))
            return "new dev.yaml from the pool"
        }
        let path = random.pick(candidates)
        switch kind {
        case .notAFile:
            let entry: FuzzProject.Entry = switch random.below(3) {
            case 0: .pipe
            case 1: .directory
            default: .link(random.pick(Self.linkTargets))
            }
            project.entries[path] = entry
            return "\(path): \(entry)"
        case .newEnvironment:
            let name = random.pick(["base", "dev", "staging", "production", "prod", "e\(random.below(100))", "x.yml", "Dev", ".hidden"])
            let copy = "environments/" + name + (name.contains(".") ? "" : ".yaml")
            project.entries[copy] = project.entries[path] ?? .file([])
            return "\(path) copied to \(copy)"
        case .removeFile:
            project.entries[path] = nil
            return "\(path) removed"
        default:
            guard case .file(var bytes) = project.entries[path] else {
                project.entries[path] = .file(random.pick(pool))
                return "\(path): a file from the pool"
            }
            let what = mutate(&bytes, kind, random: &random)
            project.entries[path] = .file(bytes)
            return "\(path): \(what)"
        }
    }

    /// One mutation of `bytes`, described.
    func mutate(_ bytes: inout [UInt8], _ kind: Kind, random: inout SeededRandom) -> String {
        let at = random.below(bytes.count + 1)
        let lines = Self.lineRanges(bytes)
        func insert(_ text: [UInt8], _ what: String) -> String {
            bytes.insert(contentsOf: text, at: at)
            return "\(what) at \(at)"
        }
        switch kind {
        case .flipBits:
            guard !bytes.isEmpty else { return insert([UInt8(random.below(256))], "a byte") }
            let flips = 1 + random.below(8)
            for _ in 0..<flips { bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8)) }
            return "\(flips) bits flipped"
        case .insertToken:
            let token = random.pick(Self.tokens)
            return insert(Array(token.utf8), "token \(token.debugDescription)")
        case .deleteLine:
            let line = random.pick(lines)
            bytes.removeSubrange(line)
            return "line at \(line.lowerBound) deleted"
        case .duplicateLine:
            let line = random.pick(lines)
            let copies = random.oneIn(10) ? 1 + random.below(max(1, min(2_000, largest / max(1, line.count)))) : 1
            let text = Array(bytes[line])
            let target = random.pick(lines).lowerBound
            bytes.insert(contentsOf: Array([[UInt8]](repeating: text, count: copies).joined()), at: target)
            return "line at \(line.lowerBound) copied \(copies)x to \(target)"
        case .swapLines:
            let (a, b) = (random.pick(lines), random.pick(lines))
            guard a.upperBound <= b.lowerBound else { return "no swap" }
            let (first, second) = (Array(bytes[a]), Array(bytes[b]))
            bytes.replaceSubrange(b, with: first)
            bytes.replaceSubrange(a, with: second)
            return "lines at \(a.lowerBound) and \(b.lowerBound) swapped"
        case .reindent:
            let line = random.pick(lines)
            if random.oneIn(2) {
                bytes.insert(contentsOf: [UInt8](repeating: 0x20, count: 1 + random.below(6)), at: line.lowerBound)
                return "line at \(line.lowerBound) indented"
            }
            let spaces = bytes[line].prefix { $0 == 0x20 }.count
            bytes.removeSubrange(line.lowerBound..<(line.lowerBound + min(spaces, 1 + random.below(4))))
            return "line at \(line.lowerBound) dedented"
        case .splice:
            let other = random.pick(pool)
            let start = random.below(other.count)
            let piece = other[start..<min(other.count, start + 1 + random.below(400))]
            let end = min(bytes.count, at + random.below(200))
            bytes.replaceSubrange(at..<end, with: piece)
            return "\(piece.count) bytes spliced over \(at)..<\(end)"
        case .lineBreak:
            let mark = random.pick(Self.lineBreaks)
            if random.oneIn(3) {
                // Every line break of the file.
                bytes = Array(bytes.split(separator: 0x0A, omittingEmptySubsequences: false).joined(separator: mark))
                return "every line break as \(mark)"
            }
            return insert(mark, "break \(mark)")
        case .invalidUTF8:
            let sequence = random.pick(Self.invalidUTF8)
            return insert(sequence, "bytes \(sequence)")
        case .repeatSlice:
            guard !bytes.isEmpty else { return "nothing to repeat" }
            let start = random.below(bytes.count)
            let slice = Array(bytes[start..<min(bytes.count, start + 1 + random.below(80))])
            let times = random.oneIn(4) ? largest / slice.count : 1 + random.below(min(1_000, largest / slice.count + 1))
            bytes.insert(contentsOf: Array([[UInt8]](repeating: slice, count: times).joined()), at: start)
            return "\(slice.count) bytes at \(start) repeated \(times)x"
        case .anchorAndAlias:
            return insertAnchorsAndAliases(&bytes, lines: lines, random: &random)
        case .deepNesting:
            let depth = random.pick([10, 100, 300, 1_000, 10_000])
            let shape = random.pick(["[", "{a: ", "- ", "? "])
            if shape == "- " {
                var text = ""
                for level in 0..<min(depth, 400) { text += String(repeating: " ", count: level * 2) + "- \n" }
                return insert(Array(text.utf8), "a block list nested \(min(depth, 400)) deep")
            }
            return insert(Array(String(repeating: shape, count: depth).utf8), "\(shape.debugDescription) nested \(depth) deep")
        case .tag:
            let tag = random.pick(Self.tags)
            let place = Self.valueStart(in: bytes, lines: lines, random: &random) ?? at
            bytes.insert(contentsOf: Array(tag.utf8), at: place)
            return "tag \(tag) at \(place)"
        case .interestingScalar:
            let value = random.pick(Self.scalars)
            guard let place = Self.valueStart(in: bytes, lines: lines, random: &random) else { return insert(Array(value.utf8), value) }
            let end = bytes[place...].firstIndex(of: 0x0A) ?? bytes.count
            bytes.replaceSubrange(place..<end, with: Array(value.utf8))
            return "value at \(place) replaced with \(value)"
        case .truncate:
            bytes.removeSubrange(at...)
            return "truncated at \(at)"
        case .deleteRange:
            let end = min(bytes.count, at + 1 + random.below(64))
            bytes.removeSubrange(at..<end)
            return "\(at)..<\(end) deleted"
        case .notAFile, .newEnvironment, .removeFile:
            return "none"
        }
    }

    /// An anchor on one value and aliases to it elsewhere: sometimes one, sometimes a laughing bomb.
    private func insertAnchorsAndAliases(_ bytes: inout [UInt8], lines: [Range<Int>], random: inout SeededRandom) -> String {
        let name = random.pick(["a", "b", "x", "web", "big"])
        if random.oneIn(4) {
            let levels = 2 + random.below(8)
            var text = "bomb0: &\(name)0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            for level in 1..<levels {
                text += "bomb\(level): &\(name)\(level) [" + Array(repeating: "*\(name)\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
            }
            let at = random.pick(lines).lowerBound
            bytes.insert(contentsOf: Array(text.utf8), at: at)
            return "alias bomb of \(levels) levels at \(at)"
        }
        guard let anchorAt = Self.valueStart(in: bytes, lines: lines, random: &random) else { return "no value to anchor" }
        bytes.insert(contentsOf: Array("&\(name) ".utf8), at: anchorAt)
        let aliases = random.oneIn(5) ? 1 + random.below(min(5_000, largest / 4)) : 1
        var places: [Int] = []
        for _ in 0..<min(aliases, 20) {
            let after = Self.lineRanges(bytes)
            guard let place = Self.valueStart(in: bytes, lines: after, random: &random) else { break }
            let end = bytes[place...].firstIndex(of: 0x0A) ?? bytes.count
            bytes.replaceSubrange(place..<end, with: Array("*\(name)".utf8))
            places.append(place)
        }
        if aliases > 20 {
            let list = "aliases: [" + Array(repeating: "*\(name)", count: aliases).joined(separator: ", ") + "]\n"
            bytes.append(contentsOf: Array(list.utf8))
        }
        return "anchor &\(name) at \(anchorAt), \(aliases) aliases"
    }

    /// The start of a value after `key: ` on a random line that has one.
    static func valueStart(in bytes: [UInt8], lines: [Range<Int>], random: inout SeededRandom) -> Int? {
        for _ in 0..<8 {
            let line = random.pick(lines)
            guard let colon = bytes[line].firstIndex(of: 0x3A) else { continue }
            let after = colon + 1
            guard after < line.upperBound, bytes[after] == 0x20 else { continue }
            return after + 1
        }
        return nil
    }

    /// Each line with its line feed; one empty range for an empty file.
    static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            ranges.append(start..<(index + 1))
            start = index + 1
        }
        if start < bytes.count || ranges.isEmpty { ranges.append(start..<bytes.count) }
        return ranges
    }
}

extension FuzzProject.Entry: CustomStringConvertible {
    public var description: String {
        switch self {
        case .file(let bytes): "a file of \(bytes.count) bytes"
        case .pipe: "a named pipe"
        case .directory: "a folder"
        case .link(let target): "a link to \(target)"
        }
    }
}
