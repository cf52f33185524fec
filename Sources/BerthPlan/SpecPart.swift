import BerthModel

/// One part of a container spec, as the `berth.spec-parts` label names it: what a plan says changed.
public enum SpecPart: Hashable, Sendable, Comparable, CustomStringConvertible {
    case image, command, environment, ports, volumes, mounts, healthcheck, labels, restart
    /// The content of a mounted config file.
    case config(String)
    /// A part this version of Berth does not know (a label written by another version).
    case other(String)

    public init(label: String) {
        switch label {
        case "image": self = .image
        case "command": self = .command
        case "environment": self = .environment
        case "ports": self = .ports
        case "volumes": self = .volumes
        case "mounts": self = .mounts
        case "healthcheck": self = .healthcheck
        case "labels": self = .labels
        case "restart": self = .restart
        case let name where name.hasPrefix("config."): self = .config(String(name.dropFirst(7)))
        default: self = .other(label)
        }
    }

    /// The name in the `berth.spec-parts` label.
    public var label: String {
        switch self {
        case .image: "image"
        case .command: "command"
        case .environment: "environment"
        case .ports: "ports"
        case .volumes: "volumes"
        case .mounts: "mounts"
        case .healthcheck: "healthcheck"
        case .labels: "labels"
        case .restart: "restart"
        case .config(let name): "config." + name
        case .other(let name): name
        }
    }

    public var description: String { label }

    public static func < (lhs: SpecPart, rhs: SpecPart) -> Bool { lhs.label < rhs.label }
}

/// What changed between a running container and the spec wanted for it: the parts, and the values
/// of those a plan can name (from the `berth.spec` label), secrets as `(sensitive)`.
struct SpecChange {
    var parts: [SpecPart]
    var changes: [FieldChange]
    var reasons: [String]

    init(parts: [SpecPart], old: ObservedContainer, wanted: ServiceSpec, image: String) {
        self.parts = parts
        var changes: [FieldChange] = []
        var reasons: [String] = []
        // The label is read only when a change needs the values it holds.
        let needsValues = parts.contains { $0 == .environment || $0 == .ports || $0 == .command }
            || (parts.contains(.image) && Comparison.sameImage(reported: old.image, wanted: image))
        let before = needsValues ? old.recordedSpec : nil
        let after = wanted.recorded
        for part in parts {
            switch part {
            case .image:
                let imageMatches = Comparison.sameImage(reported: old.image, wanted: image)
                let previous = imageMatches ? (before?.image ?? old.image) : old.image
                changes.append(FieldChange(field: "image", before: previous, after: image))
                reasons.append(previous == image ? "image changed" : "image changed \(previous) -> \(image)")
            case .environment:
                guard let before, let after else {
                    reasons.append("environment changed")
                    continue
                }
                var names: [String] = []
                for name in Set(before.environment.keys).union(after.environment.keys).sorted()
                where before.environment[name] != after.environment[name] {
                    let was = RecordedSpec.shown(before.environment[name]), will = RecordedSpec.shown(after.environment[name])
                    changes.append(FieldChange(field: "environment.\(name)", before: was, after: will))
                    names.append("\(name) \(was ?? "(unset)") -> \(will ?? "(unset)")")
                }
                reasons.append(names.isEmpty ? "environment changed" : "environment " + names.joined(separator: ", "))
            case .ports:
                guard let before, let after else {
                    reasons.append("ports changed")
                    continue
                }
                let was = before.ports.joined(separator: ", "), will = after.ports.joined(separator: ", ")
                changes.append(FieldChange(field: "ports", before: was, after: will))
                reasons.append("ports \(was.isEmpty ? "(none)" : was) -> \(will.isEmpty ? "(none)" : will)")
            case .command:
                guard let before, let after else {
                    reasons.append("command changed")
                    continue
                }
                let was = before.command?.joined(separator: " ") ?? "(image default)"
                let will = after.command?.joined(separator: " ") ?? "(image default)"
                changes.append(FieldChange(field: "command", before: was, after: will))
                reasons.append("command changed")
            case .config(let name):
                changes.append(FieldChange(field: "config.\(name)", before: old.specParts[part.label], after: wanted.parts[part.label]))
                reasons.append("config \(name) content changed")
            default:
                reasons.append("\(part) changed")
            }
        }
        if old.specHash != wanted.hash {
            changes.append(FieldChange(field: "spec-hash", before: old.specHash.map { String($0.prefix(12)) }, after: String(wanted.hash.prefix(12))))
        }
        self.changes = changes
        self.reasons = reasons
    }
}
