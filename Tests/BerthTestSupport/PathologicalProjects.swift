import Foundation
import Glibc

/// Projects made to be hard on the loader (issue 8): each is written by code, at full size for
/// `berth-bench pathological` or smaller for the test suite, and knows how `berth validate` answers it.
public struct PathologicalProject: Sendable {
    /// The first diagnostic `berth validate` prints: its place and a part of its message.
    public struct Diagnostic: Sendable, CustomStringConvertible {
        /// Relative to the project: `environments/dev.yaml`.
        public var file: String
        public var line: Int
        public var column: Int
        public var severity = "error"
        public var message: String

        /// As `berth validate` prints it, up to the part of the message that is known.
        public var description: String { "\(file):\(line):\(column): \(severity): \(message)" }
    }

    public var name: String
    /// What is pathological about it, for the benchmark's table.
    public var summary: String
    /// The environment `render` and `plan` are run on.
    public var environment: String
    /// `berth validate`'s exit code: 0 or 1.
    public var status: Int32
    /// Nil when `validate` prints no diagnostic at all.
    public var firstDiagnostic: Diagnostic?
    let files: @Sendable (_ project: ProjectWriter) throws -> Void

    /// Writes the project's files into `directory` (a new temporary folder when nil) and returns it.
    @discardableResult
    public func write(to directory: String? = nil) throws -> String {
        let root = directory ?? TemporaryDirectory.make(prefix: "berth-pathological-\(name)")
        try files(ProjectWriter(root: root))
        return root
    }
}

/// Writes the files of a generated project below its root.
struct ProjectWriter {
    var root: String

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: root + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    func pipe(_ relative: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard mkfifo(path, 0o644) == 0 else { throw FixtureError("mkfifo \(path): \(String(cString: strerror(errno)))") }
    }
}

public enum PathologicalProjects {
    /// How big to make each project: `full` is what issue 8 names and the benchmark runs; `test` keeps the
    /// cases whose cost grows faster than their size small enough for a debug build, with the same answer.
    public enum Size: Sendable {
        case full, test
    }

    public static func all(_ size: Size) -> [PathologicalProject] {
        [
            longStringAliased(size), servicesDependingOnAll(size), servicesDependingOnAllBefore(size),
            extendsChain(size, growing: false), extendsChain(size, growing: true), portRangesOnDistinctAddresses(size),
            oneLineTemplate(size), pipeAsEnvironmentFile(), tenMegabyteEnvironment(size),
            servicesDependingOnMissing(size), nullsRemovingNothing(size), unknownKeys(size),
        ]
    }

    /// A label of `length` bytes, anchored, then aliased `count` times in the service's command: the
    /// expansion bound (1 MiB of text) stops it at the alias that crosses it.
    static func longStringAliased(_ size: Size) -> PathologicalProject {
        let (length, count) = size == .full ? (100_000, 5_000) : (10_000, 500)
        let bound = 1 << 20
        let crossing = bound / length + 1
        return PathologicalProject(
            name: "long-string-aliased",
            summary: "a \(length)-byte string aliased \(count) times",
            environment: "dev", status: 1,
            // Lines 1-6 lead to the first alias, on line 7.
            firstDiagnostic: .init(
                file: "environments/dev.yaml", line: 6 + crossing, column: 9,
                message: "aliases expand to more than \(bound) bytes of text"
            )
        ) { project in
            var text = "services:\n  web:\n    image: localhost/web:1.0.0\n    labels:\n"
            text += "      big: &big \"" + String(repeating: "x", count: length) + "\"\n    command:\n"
            text += String(repeating: "      - *big\n", count: count)
            try project.write("environments/dev.yaml", text)
        }
    }

    /// `count` services, each depending on every other one: one knot of cycles, reported once.
    static func servicesDependingOnAll(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 600 : 150
        let names = serviceNames(count)
        return PathologicalProject(
            name: "services-depending-on-all",
            summary: "\(count) services, each depending on all others",
            environment: "dev", status: 1,
            // The shortest cycle through the first service, closed by the second one's first dependency (each
            // service is on three lines; `    depends_on: [` is 17 characters).
            firstDiagnostic: .init(
                file: "environments/dev.yaml", line: 7, column: 18,
                message: "services.\(names[1]).depends_on[0]: dependency cycle \(names[0]) -> \(names[1]) -> \(names[0])"
            )
        ) { project in
            try project.write("environments/dev.yaml", services(names) { index in names.enumerated().filter { $0.offset != index }.map(\.element) })
        }
    }

    /// `count` services, each depending on every one before it: valid, with count * (count - 1) / 2 edges.
    static func servicesDependingOnAllBefore(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 600 : 150
        let names = serviceNames(count)
        return PathologicalProject(
            name: "services-depending-on-all-before",
            summary: "\(count) services, each depending on all before it",
            environment: "dev", status: 0, firstDiagnostic: nil
        ) { project in
            try project.write("environments/dev.yaml", services(names) { index in Array(names[..<index]) })
        }
    }

    /// `count` services, each depending on `count - 1` services that do not exist: every name is looked up among
    /// all the services for a suggestion.
    static func servicesDependingOnMissing(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 600 : 60
        let names = serviceNames(count)
        return PathologicalProject(
            name: "services-depending-on-missing",
            summary: "\(count) services, each depending on \(count - 1) missing ones",
            environment: "dev", status: 1,
            firstDiagnostic: .init(
                file: "environments/dev.yaml", line: 4, column: 18,
                message: "services.\(names[0]).depends_on[0]: depends on 'gone-0001', which is not a service"
            )
        ) { project in
            try project.write("environments/dev.yaml", services(names) { index in
                names.enumerated().filter { $0.offset != index }.map { "gone-" + $0.element.dropFirst(4) }
            })
        }
    }

    /// A service with `count` environment variables and `count` more set to null, which removes nothing (there is
    /// no base): each null is an error, whose suggestion would be looked for among all the variables.
    static func nullsRemovingNothing(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 50_000 : 2_000
        return PathologicalProject(
            name: "nulls-removing-nothing",
            summary: "\(count) variables and \(count) nulls that remove nothing",
            environment: "dev", status: 1,
            firstDiagnostic: .init(
                file: "environments/dev.yaml", line: 6, column: 7,
                message: "services.web.environment.GONE_0: null removes nothing here: nothing named 'GONE_0' is inherited (for"
            )
        ) { project in
            var text = "services:\n  web:\n    image: localhost/web:1.0.0\n    environment:\n"
            for index in 0..<count { text += "      KEPT_\(index): \"\(index)\"\n      GONE_\(index):\n" }
            try project.write("environments/dev.yaml", text)
        }
    }

    /// `count` top-level keys that Berth does not know, each looked up among the keys it does.
    static func unknownKeys(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 100_000 : 5_000
        return PathologicalProject(
            name: "unknown-keys",
            summary: "\(count) unknown top-level keys",
            environment: "dev", status: 1,
            firstDiagnostic: .init(file: "environments/dev.yaml", line: 1, column: 1, message: "unknown key 'servce0'; did you mean 'services'?")
        ) { project in
            try project.write("environments/dev.yaml", (0..<count).map { "servce\($0): {}\n" }.joined())
        }
    }

    /// `environments/dev.yaml` as services with flow lists of the names each depends on, each service on three lines.
    private static func services(_ names: [String], dependencies: (Int) -> [String]) -> String {
        var text = "services:\n"
        for (index, name) in names.enumerated() {
            text += "  \(name):\n    image: localhost/\(name):1.0.0\n"
            let others = dependencies(index)
            if !others.isEmpty { text += "    depends_on: [" + others.joined(separator: ", ") + "]\n" }
        }
        return text
    }

    private static func serviceNames(_ count: Int) -> [String] {
        (0..<count).map { "svc-" + String(repeating: "0", count: 4 - String($0).count) + String($0) }
    }

    /// `e0000` extends `e0001` ... extends `base`: `count` environments, the first with a chain of `count` files.
    /// With `growing`, each file adds a variable of its own, so that environment `eN` has `count - N` of them
    /// (count * count / 2 in all); without, each sets the same one.
    static func extendsChain(_ size: Size, growing: Bool) -> PathologicalProject {
        let count = size == .full ? 2_000 : 200
        let names = (0..<count).map { "e" + String(repeating: "0", count: 4 - String($0).count) + String($0) }
        return PathologicalProject(
            name: growing ? "extends-chain-growing" : "extends-chain",
            summary: "a chain of \(count) extends" + (growing ? ", each adding a variable" : ""),
            environment: names[0], status: 0, firstDiagnostic: nil
        ) { project in
            try project.write("environments/base.yaml", "services:\n  web:\n    image: localhost/web:1.0.0\n")
            for (index, name) in names.enumerated() {
                let parent = index + 1 < count ? names[index + 1] : "base"
                try project.write(
                    "environments/\(name).yaml",
                    "extends: \(parent)\nservices:\n  web:\n    environment:\n      LEVEL\(growing ? "_\(index)" : ""): \"\(index)\"\n"
                )
            }
        }
    }

    /// `count` services of 1,000 replicas, each publishing the same range of 1,000 host ports on an address
    /// of its own: `count` * 1,000 bindings, none taken twice.
    static func portRangesOnDistinctAddresses(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 400 : 40
        return PathologicalProject(
            name: "port-ranges-on-distinct-addresses",
            summary: "\(count) ranges of 1000 host ports on distinct addresses",
            environment: "dev", status: 0, firstDiagnostic: nil
        ) { project in
            var text = "services:\n"
            for index in 0..<count {
                text += "  svc-\(index):\n    image: localhost/svc:1.0.0\n    replicas: 1000\n"
                text += "    ports: [\"10.0.\(index / 250).\(index % 250 + 1):20000-20999:80\"]\n"
            }
            try project.write("environments/dev.yaml", text)
        }
    }

    /// A template of `length` bytes on one line, a placeholder every kilobyte, the last of which has no value.
    static func oneLineTemplate(_ size: Size) -> PathologicalProject {
        let length = size == .full ? 10 << 20 : 1 << 20
        let chunk = Array(("K=" + String(repeating: "v", count: 1_000) + ";{{ greeting }};").utf8)
        let last = Array("{{ farewell }}".utf8)
        let chunks = (length - last.count) / chunk.count
        return PathologicalProject(
            name: "one-line-template",
            summary: "a \(length >> 20) MiB template on one line",
            environment: "dev", status: 1,
            firstDiagnostic: .init(
                file: "environments/app.tmpl", line: 1, column: chunks * chunk.count + 1,
                message: "the placeholder 'farewell' has no value in configs.files.app.values"
            )
        ) { project in
            try project.write("environments/dev.yaml", """
                services:
                  web:
                    image: localhost/web:1.0.0
                    configs:
                      - source: app
                        target: /etc/app.conf
                configs:
                  files:
                    app:
                      template: app.tmpl
                      target: app.conf
                      values:
                        greeting: hello

                """)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(length)
            for _ in 0..<chunks { bytes += chunk }
            try project.write("environments/app.tmpl", bytes + last)
        }
    }

    /// `environments/dev.yaml` is a named pipe: refused at once, never waited on.
    static func pipeAsEnvironmentFile() -> PathologicalProject {
        PathologicalProject(
            name: "pipe-as-environment-file",
            summary: "environments/dev.yaml is a named pipe",
            environment: "dev", status: 1,
            firstDiagnostic: .init(file: "environments/dev.yaml", line: 1, column: 1, message: "cannot read the file: is a named pipe, not a file")
        ) { project in
            try project.pipe("environments/dev.yaml")
        }
    }

    /// An environment file of about 10 MB (`berth-bench generate`'s), its services depending on one another in a line.
    static func tenMegabyteEnvironment(_ size: Size) -> PathologicalProject {
        let count = size == .full ? 20_000 : 500
        return PathologicalProject(
            name: "ten-megabyte-environment",
            summary: "\(count) services in one file",
            environment: "bench", status: 0, firstDiagnostic: nil
        ) { project in
            try project.write("environments/bench.yaml", environment(services: count))
        }
    }

    /// An environment of `count` services, each with the keys a real one has, each depending on the one before;
    /// the secret they use is read from `BENCH_TOKEN`. About 520 bytes a service.
    public static func environment(services count: Int) -> String {
        var text = "# yaml-language-server: $schema=../schemas/environment.schema.json\nproject: bench\n"
        text += "secrets:\n  token: { env: BENCH_TOKEN }\nservices:\n"
        for index in 0..<count {
            text += """
                  svc-\(index):
                    image: localhost/bench-\(index % 50):1.\(index % 7).\(index % 3)
                    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]
                    replicas: 1
                    strategy: recreate
                    environment:
                      LOG_LEVEL: info
                      SERVICE_INDEX: "\(index)"
                      API_TOKEN: { secret: token }
                    ports:
                      - "127.0.0.1:\(20_000 + index):80"
                    healthcheck:
                      url: http://localhost:80/health
                      interval: 5s
                      timeout: 2s
                    labels:
                      team: team-\(index % 20)

                """
            if index > 0 { text += "    depends_on: [svc-\(index - 1)]\n" }
        }
        return text
    }
}
