public import BerthModel

/// One difference between the desired and the observed state. The plan and the drift report
/// are both made from the same findings, so they can never disagree.
public enum Finding: Hashable, Sendable {
    case migrationPending(Migration, failedBefore: Bool)
    case migrationChecksum(Migration, recorded: String, actual: String)
    /// Applied, but its file is gone from the migrations folder.
    case migrationFileMissing(AppliedMigration)
    case configMissing(ConfigFile)
    case configChanged(ConfigFile, observed: ObservedConfig, contentChanged: Bool, modeChanged: Bool)
    case containerMissing(service: String, replica: Int)
    case containerOutdated(service: String, replica: Int, ObservedContainer, changed: [SpecPart])
    case containerStopped(service: String, replica: Int, ObservedContainer)
    case containerUnhealthy(service: String, replica: Int, ObservedContainer)
    /// A managed container that is not wanted: a removed service, a replica beyond the count, a duplicate.
    case containerUnexpected(ObservedContainer, reason: String)
    /// The proxy does not run, or runs another layout than the environment's.
    case proxyOutdated(detail: String)
    /// A routed service's traffic does not go (only) to its current containers.
    case trafficMisrouted(service: String, detail: String)
}

/// Compares desired with observed. Pure: no I/O.
public enum Comparison {
    public static func findings(desired: DesiredState, observed: ObservedState) -> [Finding] {
        var findings: [Finding] = []
        let environment = desired.environment

        if let database = environment.database {
            var applied: [[Int]: AppliedMigration] = [:]
            for row in observed.migrations ?? [] {
                if let version = MigrationVersion(row.version) { applied[version.parts] = row }
            }
            for migration in database.migrations {
                let checksum = desired.migrationChecksums[migration.version.text] ?? ""
                // Above `migrate_to`, a migration waits: not pending, not drift; one applied is still checked.
                let waits = database.migrateTo.map { migration.version > $0 } ?? false
                guard let row = applied[migration.version.parts] else {
                    if !waits { findings.append(.migrationPending(migration, failedBefore: false)) }
                    continue
                }
                if !row.success {
                    if waits { continue }
                    findings.append(.migrationPending(migration, failedBefore: true))
                } else if row.checksum != checksum {
                    findings.append(.migrationChecksum(migration, recorded: row.checksum, actual: checksum))
                }
            }
            let present = Set(database.migrations.map(\.version.parts))
            for row in observed.migrations ?? [] where row.success {
                guard let version = MigrationVersion(row.version), !present.contains(version.parts) else { continue }
                findings.append(.migrationFileMissing(row))
            }
        }

        let observedConfigs = Dictionary(observed.configs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for config in environment.configs.files {
            guard let seen = observedConfigs[config.name], let sha = seen.sha256 else {
                findings.append(.configMissing(config))
                continue
            }
            let contentChanged = sha != desired.configHashes[config.name]
            let modeChanged = seen.mode != config.mode
            if contentChanged || modeChanged {
                findings.append(.configChanged(config, observed: seen, contentChanged: contentChanged, modeChanged: modeChanged))
            }
        }

        // By index: containers are large values, and their labels are read once each.
        let containers = observed.containers
        let replicaNumbers = containers.map(\.replica)
        var byService: [String: [Int]] = [:]
        let desiredServices = Set(environment.services.map(\.name))
        for (index, container) in containers.enumerated() {
            guard let service = container.service, desiredServices.contains(service) else {
                let reason = container.service.map { "service \($0) is not in the desired state" } ?? "it has no berth.service label"
                findings.append(.containerUnexpected(container, reason: reason))
                continue
            }
            byService[service, default: []].append(index)
        }
        let layout = ProxyLayout.of(environment)
        if let layout, observed.proxy?.configSHA256 != layout.sha256 {
            let detail = observed.proxy?.configSHA256 == nil
                ? "no proxy answers on \(layout.settings.adminSocket)" + (observed.proxy?.unreachable.map { ": \($0)" } ?? "")
                : "the proxy runs another layout than the environment's"
            findings.append(.proxyOutdated(detail: detail))
        }
        for service in environment.services {
            guard let spec = desired.specs[service.name] else { continue }
            let indices = byService[service.name] ?? []
            let table = layout == nil ? [] : observed.proxy?.servers(of: service.name) ?? []
            let serving = Set(table.filter { $0.admin == .ready }.map(\.endpoint))
            var byReplica: [Int: [Int]] = [:]
            for index in indices { if let number = replicaNumbers[index] { byReplica[number, default: []].append(index) } }
            for replica in 1...max(service.replicas, 1) where replica <= service.replicas {
                // The best candidate stays (running and current first); any other is a duplicate.
                // Behind a proxy, of two current ones the one that serves.
                var candidates = byReplica[replica] ?? []
                if candidates.count > 1 {
                    func key(_ index: Int) -> (Int, Int, String) {
                        let container = containers[index]
                        let serves = container.endpoint.map { serving.contains($0) } ?? false
                        return (container.isRunning && container.specHash == spec.hash ? 0 : 1, serves ? 0 : 1, container.name)
                    }
                    candidates.sort { key($0) < key($1) }
                }
                guard let first = candidates.first else {
                    findings.append(.containerMissing(service: service.name, replica: replica))
                    continue
                }
                for duplicate in candidates.dropFirst() {
                    // A blue-green release keeps the set it replaced, running, for `keep` after the newer was made.
                    let other = containers[duplicate]
                    if let keep = service.traffic?.blueGreen.keep, service.strategy == .blueGreen, other.isRunning,
                       observed.observedAt < max(other.created, containers[first].created) + keep.milliseconds / 1000 {
                        continue
                    }
                    findings.append(.containerUnexpected(other, reason: "a second container for \(service.name) replica \(replica)"))
                }
                let container = containers[first]
                let changed = changedParts(container: container, spec: spec, image: service.image.text)
                if !changed.isEmpty {
                    findings.append(.containerOutdated(service: service.name, replica: replica, container, changed: changed))
                } else if !container.isRunning {
                    findings.append(.containerStopped(service: service.name, replica: replica, container))
                } else if container.health == .unhealthy {
                    findings.append(.containerUnhealthy(service: service.name, replica: replica, container))
                }
            }
            if service.traffic != nil, layout != nil, observed.proxy?.isRunning == true {
                let current = Set(indices.map { containers[$0] }.filter {
                    $0.isRunning && $0.specHash == spec.hash && ($0.replica ?? 0) <= service.replicas
                }.compactMap(\.endpoint))
                var problems: [String] = []
                let stray = table.filter { $0.admin != .maint && !current.contains($0.endpoint) }
                if !stray.isEmpty {
                    problems.append("traffic goes to \(stray.map { "\($0.name) \($0.endpoint) (\($0.admin.rawValue))" }.joined(separator: ", ")), which is no current container")
                }
                let missing = current.subtracting(serving).sorted()
                if !missing.isEmpty { problems.append("no traffic reaches \(missing.joined(separator: ", "))") }
                let weights = Set(table.filter { $0.admin == .ready }.map(\.weight))
                if weights.count > 1 { problems.append("the servers have unequal weights \(weights.sorted())") }
                if !problems.isEmpty { findings.append(.trafficMisrouted(service: service.name, detail: problems.joined(separator: "; "))) }
            }
            for index in indices where (replicaNumbers[index] ?? 0) > service.replicas || replicaNumbers[index] == nil {
                let reason = replicaNumbers[index].map { "replica \($0) is beyond replicas: \(service.replicas)" } ?? "it has no berth.replica label"
                findings.append(.containerUnexpected(containers[index], reason: reason))
            }
        }
        return findings
    }

    /// The parts of the spec that differ (`image`, `config.app-env`, `environment`, ...); `image` also
    /// when the container runs another image than its labels say (replaced by hand).
    static func changedParts(container: ObservedContainer, spec: ServiceSpec, image: String) -> [SpecPart] {
        let imageMatches = sameImage(reported: container.image, wanted: image)
        guard container.specHash != spec.hash || !imageMatches else { return [] }
        // Both sides as sorted `name=hash` entries: a merge walk over their bytes finds the parts that differ.
        let recorded = PartEntries(container.labels[BerthLabel.specParts] ?? "")
        let wanted = PartEntries(spec.partsLabel)
        var changed: [SpecPart] = []
        var i = 0, j = 0
        while i < recorded.count || j < wanted.count {
            if i < recorded.count, j < wanted.count, recorded.name(i).elementsEqual(wanted.name(j)) {
                if !recorded.entry(i).elementsEqual(wanted.entry(j)) { changed.append(SpecPart(label: wanted.nameText(j))) }
                i += 1; j += 1
            } else if j == wanted.count || (i < recorded.count && recorded.name(i).lexicographicallyPrecedes(wanted.name(j))) {
                changed.append(SpecPart(label: recorded.nameText(i)))
                i += 1
            } else {
                changed.append(SpecPart(label: wanted.nameText(j)))
                j += 1
            }
        }
        if !imageMatches, !changed.contains(.image) { changed.append(.image) }
        if changed.isEmpty { changed.append(.other("spec")) }
        return changed.sorted()
    }

    /// Whether the image the engine reports a container runs is the one asked for. Podman lists a
    /// short name fully qualified (`web:1` as `localhost/web:1`, `nginx:1` as `docker.io/library/nginx:1`),
    /// so a reference without a registry host also matches the same path under one (a one-part name also under
    /// Docker Hub's `library/`). It lists an image pinned by digest under a tag (`web@sha256:...` as
    /// `web:1`), so for a digest only the repositories are compared.
    static func sameImage(reported: String, wanted: String) -> Bool {
        if reported == wanted { return true }
        let wantedBytes = wanted.utf8
        if wantedBytes.contains(UInt8(ascii: "@")) {
            func repository(_ reference: String) -> String {
                let name = reference.prefix { $0 != "@" }
                guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return String(name) }
                return String(name[..<colon])
            }
            return sameImage(reported: repository(reported), wanted: repository(wanted))
        }
        // Cheap refusals first: the reported name must end in "/" + wanted.
        let reportedBytes = reported.utf8
        guard reportedBytes.count > wantedBytes.count, reportedBytes.reversed().starts(with: wantedBytes.reversed()),
              reportedBytes.dropLast(wantedBytes.count).last == UInt8(ascii: "/") else { return false }
        func isRegistry(_ component: Substring) -> Bool {
            component.contains(".") || component.contains(":") || component == "localhost"
        }
        let wantedComponents = wanted.split(separator: "/", omittingEmptySubsequences: false)
        guard wantedComponents.count == 1 || !isRegistry(wantedComponents[0]) else { return false }
        let prefix = reported.dropLast(wanted.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        guard let registry = prefix.first, isRegistry(registry) else { return false }
        return prefix.count == 1 || (prefix.count == 2 && prefix[1] == "library" && wantedComponents.count == 1)
    }
}

/// The `name=hash` entries of a `berth.spec-parts` label, as byte ranges of its UTF-8.
private struct PartEntries {
    let bytes: [UInt8]
    /// Per entry: where it starts, where its name ends, where it ends.
    let ranges: [(start: Int, equals: Int, end: Int)]

    init(_ label: String) {
        bytes = Array(label.utf8)
        var ranges: [(start: Int, equals: Int, end: Int)] = []
        var start = 0
        var equals: Int?
        for index in 0...bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: ",") {
                if index > start { ranges.append((start, equals ?? index, index)) }
                start = index + 1
                equals = nil
            } else if equals == nil, bytes[index] == UInt8(ascii: "=") {
                equals = index
            }
        }
        self.ranges = ranges
    }

    var count: Int { ranges.count }
    func name(_ index: Int) -> ArraySlice<UInt8> { bytes[ranges[index].start..<ranges[index].equals] }
    func entry(_ index: Int) -> ArraySlice<UInt8> { bytes[ranges[index].start..<ranges[index].end] }
    func nameText(_ index: Int) -> String { String(decoding: name(index), as: UTF8.self) }
}
