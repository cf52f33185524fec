import Foundation

/// A fixture project whose files mark the places where diagnostics are expected, as
/// swift-format's rule tests do: `1️⃣` ... `9️⃣` stand in the text and are removed before use.
///
/// A fixture is a folder under `Tests/Fixtures/invalid/`: the project's files (`environments/...`)
/// and `expect.txt`, one expected diagnostic a line: `1️⃣ error: text the message contains`.
public struct MarkedFixture: Sendable {
    public struct Mark: Hashable, Sendable, CustomStringConvertible {
        /// Relative to the project: `environments/dev.yaml`.
        public var file: String
        public var line: Int
        public var column: Int

        public var description: String { "\(file):\(line):\(column)" }
    }

    public struct Expectation: Hashable, Sendable {
        public var marker: Int
        public var severity: String
        public var message: String
    }

    public var name: String
    /// Relative path -> content with the markers removed.
    public var files: [String: [UInt8]]
    public var marks: [Int: Mark]
    public var expectations: [Expectation]

    /// `1️⃣` is the digit, U+FE0F, U+20E3.
    static let keycapTail: [UInt8] = [0xEF, 0xB8, 0x8F, 0xE2, 0x83, 0xA3]

    public static var corpusDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/invalid").path
    }

    /// The fixtures' names, sorted.
    public static func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []).sorted()
    }

    public init(directory: String) throws {
        name = URL(fileURLWithPath: directory).lastPathComponent
        files = [:]
        marks = [:]
        expectations = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory)
            guard !isDirectory.boolValue else { continue }
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)))
            if relative == "expect.txt" {
                expectations = try Self.expectations(String(decoding: bytes, as: UTF8.self), fixture: name)
            } else {
                let (stripped, found) = Self.strip(bytes, file: relative)
                files[relative] = stripped
                for (marker, mark) in found {
                    guard marks[marker] == nil else { throw FixtureError("\(name): marker \(marker) is used twice") }
                    marks[marker] = mark
                }
            }
        }
        for expectation in expectations where marks[expectation.marker] == nil {
            throw FixtureError("\(name): expect.txt names marker \(expectation.marker), which no file has")
        }
    }

    /// Removes the markers, noting the 1-based line and column (in Unicode scalars) each stood at.
    static func strip(_ bytes: [UInt8], file: String) -> ([UInt8], [(Int, Mark)]) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var found: [(Int, Mark)] = []
        var line = 1, column = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if (0x31...0x39).contains(byte), index + 7 <= bytes.count, Array(bytes[(index + 1)..<(index + 7)]) == keycapTail {
                found.append((Int(byte - 0x30), Mark(file: file, line: line, column: column)))
                index += 7
                continue
            }
            out.append(byte)
            // An editor's lines: LF, CRLF and a lone CR each end one.
            let lineEnds = byte == UInt8(ascii: "\n")
                || (byte == UInt8(ascii: "\r") && (index + 1 == bytes.count || bytes[index + 1] != UInt8(ascii: "\n")))
            if lineEnds {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return (out, found)
    }

    static func expectations(_ text: String, fixture: String) throws -> [Expectation] {
        var result: [Expectation] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
            let bytes = Array(line.utf8)
            guard bytes.count > 8, (0x31...0x39).contains(bytes[0]), Array(bytes[1..<7]) == keycapTail else {
                throw FixtureError("\(fixture): expect.txt line does not start with a marker: \(line)")
            }
            let rest = String(decoding: bytes[7...], as: UTF8.self).drop { $0 == " " }
            guard let colon = rest.firstIndex(of: ":") else { throw FixtureError("\(fixture): no severity in: \(line)") }
            let severity = String(rest[..<colon])
            guard severity == "error" || severity == "warning" else {
                throw FixtureError("\(fixture): severity must be error or warning in: \(line)")
            }
            let message = String(rest[rest.index(after: colon)...].drop { $0 == " " })
            result.append(Expectation(marker: Int(bytes[0] - 0x30), severity: severity, message: message))
        }
        return result
    }

    /// Writes the stripped files into `directory` (a new temporary folder when nil) and returns it.
    @discardableResult
    public func write(to directory: String? = nil) throws -> String {
        let root = directory ?? TemporaryDirectory.make(prefix: "berth-fixture-\(name)")
        for (relative, bytes) in files {
            let url = URL(fileURLWithPath: root + "/" + relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return root
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

public enum TemporaryDirectory {
    public static func make(prefix: String) -> String {
        let path = NSTemporaryDirectory() + "/\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
