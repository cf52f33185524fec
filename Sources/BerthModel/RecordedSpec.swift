import BerthCore
import Foundation

/// The values of a container spec that a plan names when they change: written to the container's
/// `berth.spec` label when it is created, read back from the engine's listing to say what changed
/// (`LOG_LEVEL: info -> debug`, ports before and after). A secret appears only as `(sensitive)` and
/// a short hash of its hash, enough to tell that it changed and nothing more.
public struct RecordedSpec: Hashable, Sendable, Codable {
    public static let sensitive = "(sensitive)"

    public var image: String
    public var command: [String]?
    /// Variable name -> value, or `(sensitive) HASH` for a secret.
    public var environment: [String: String]
    /// `127.0.0.1:18080-18081:80/tcp`, as written in the environment file.
    public var ports: [String]

    public init(image: String, command: [String]?, environment: [String: String], ports: [String]) {
        self.image = image
        self.command = command
        self.environment = environment
        self.ports = ports
    }

    /// - Parameter secretHashes: secret name -> SHA-256 of its value.
    public init(service: Service, secretHashes: [String: String]) {
        var environment: [String: String] = [:]
        for variable in service.environment {
            switch variable.value {
            case .literal(let text):
                environment[variable.name] = text
            case .secret(let name):
                let hash = SHA256.hex("\(variable.name)#\(secretHashes[name] ?? "?")")
                environment[variable.name] = "\(Self.sensitive) \(hash.prefix(8))"
            }
        }
        self.init(
            image: service.image.text, command: service.command, environment: environment,
            ports: service.ports.map(\.description)
        )
    }

    /// The label's text: compact JSON, keys sorted. Written directly: a plan makes one per new container.
    public var label: String {
        var out = "{\"command\":"
        if let command {
            out += "["
            for (index, word) in command.enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeJSONString(word, to: &out)
            }
            out += "]"
        } else {
            out += "null"
        }
        out += ",\"environment\":{"
        for (index, (name, value)) in environment.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            JSONValue.writeJSONString(name, to: &out)
            out += ":"
            JSONValue.writeJSONString(value, to: &out)
        }
        out += "},\"image\":"
        JSONValue.writeJSONString(image, to: &out)
        out += ",\"ports\":["
        for (index, port) in ports.enumerated() {
            if index > 0 { out += "," }
            JSONValue.writeJSONString(port, to: &out)
        }
        return out + "]}"
    }

    /// Nil for a label Berth did not write (or an older Berth without it).
    public static func parse(_ label: String) -> RecordedSpec? {
        try? JSONDecoder().decode(RecordedSpec.self, from: Data(label.utf8))
    }

    /// A value for people: a secret's is `(sensitive)`, without its hash.
    public static func shown(_ value: String?) -> String? {
        guard let value else { return nil }
        return value.hasPrefix(sensitive) ? sensitive : value
    }
}
