import Foundation

/// Decoding of the engine's JSON answers into Berth's values. Absent or null fields are tolerated
/// where Docker and Podman differ (`Labels` and `Ports` may be null, `Names` may be missing,
/// an image's `RepoTags` and `RepoDigests` may be null).
enum DockerEngineJSON {
    struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        var message: String

        var description: String { message }
    }

    private struct ListedContainer: Decodable {
        var id: String
        var names: [String]?
        var image: String?
        var imageID: String?
        var state: String?
        var status: String?
        var labels: [String: String]?
        var ports: [ListedPort]?
        var created: Int?

        enum CodingKeys: String, CodingKey {
            case id = "Id", names = "Names", image = "Image", imageID = "ImageID", state = "State", status = "Status"
            case labels = "Labels", ports = "Ports", created = "Created"
        }
    }

    private struct ListedPort: Decodable {
        var ip: String?
        var privatePort: Int
        var publicPort: Int?
        var type: String?

        enum CodingKeys: String, CodingKey {
            case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type"
        }
    }

    private struct ListedImage: Decodable {
        var id: String
        var repoTags: [String]?
        var repoDigests: [String]?

        enum CodingKeys: String, CodingKey {
            case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests"
        }
    }

    private struct Version: Decodable {
        var version: String
        var apiVersion: String
        var minAPIVersion: String?

        enum CodingKeys: String, CodingKey {
            case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion"
        }
    }

    private struct Created: Decodable {
        var id: String

        enum CodingKeys: String, CodingKey {
            case id = "Id"
        }
    }

    /// `GET /containers/ID/json`, the fields verification reads. Docker and Podman both put
    /// `RestartCount` at the top and the rest under `State`.
    private struct Inspected: Decodable {
        var restartCount: Int?
        var state: InspectedState

        enum CodingKeys: String, CodingKey {
            case restartCount = "RestartCount", state = "State"
        }
    }

    private struct InspectedState: Decodable {
        var status: String
        var oomKilled: Bool?
        var exitCode: Int?
        var startedAt: String?

        enum CodingKeys: String, CodingKey {
            case status = "Status", oomKilled = "OOMKilled", exitCode = "ExitCode", startedAt = "StartedAt"
        }
    }

    private struct ErrorBody: Decodable {
        var message: String?
    }

    static func containers(from body: [UInt8]) throws(Failure) -> [ContainerSummary] {
        try decode([ListedContainer].self, from: body).map { listed in
            ContainerSummary(
                id: listed.id,
                name: (listed.names?.first).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? "",
                image: listed.image ?? "",
                imageID: listed.imageID ?? "",
                state: listed.state ?? "",
                status: listed.status ?? "",
                labels: listed.labels ?? [:],
                ports: (listed.ports ?? []).map {
                    PortSummary(
                        ip: $0.ip.flatMap { $0.isEmpty ? nil : $0 }, privatePort: $0.privatePort,
                        publicPort: $0.publicPort.flatMap { $0 == 0 ? nil : $0 }, type: $0.type ?? "tcp"
                    )
                },
                created: listed.created ?? 0
            )
        }
    }

    static func images(from body: [UInt8]) throws(Failure) -> [ImageSummary] {
        try decode([ListedImage].self, from: body).map { listed in
            // Older Docker names an untagged image "<none>:<none>" (and "<none>@<none>") instead of nothing.
            ImageSummary(
                id: listed.id,
                repoTags: (listed.repoTags ?? []).filter { $0 != "<none>:<none>" },
                repoDigests: (listed.repoDigests ?? []).filter { $0 != "<none>@<none>" }
            )
        }
    }

    static func version(from body: [UInt8]) throws(Failure) -> EngineVersion {
        let version = try decode(Version.self, from: body)
        return EngineVersion(version: version.version, apiVersion: version.apiVersion, minAPIVersion: version.minAPIVersion)
    }

    static func createdID(from body: [UInt8]) throws(Failure) -> String {
        let created = try decode(Created.self, from: body)
        guard !created.id.isEmpty else { throw Failure(message: "the id is empty") }
        return created.id
    }

    /// Podman 4 answers "stopped" for a container whose process has ended but whose clean-up has not
    /// run yet (for a moment after the exit); its list, and Docker, say "exited" for that.
    static func inspection(from body: [UInt8]) throws(Failure) -> ContainerInspection {
        let inspected = try decode(Inspected.self, from: body)
        return ContainerInspection(
            state: inspected.state.status == "stopped" ? "exited" : inspected.state.status, restartCount: inspected.restartCount ?? 0, oomKilled: inspected.state.oomKilled ?? false,
            exitCode: inspected.state.exitCode ?? 0, startedAt: inspected.state.startedAt ?? ""
        )
    }

    /// The engine's `message`, else the body's text, else a word on the status.
    static func errorMessage(from response: HTTPResponse) -> String {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)),
            let message = body.message?.trimmingWhitespace(), !message.isEmpty
        {
            return message
        }
        let text = response.bodyText.trimmingWhitespace()
        if !text.isEmpty { return text.count > 300 ? text.prefix(300) + "..." : text }
        return "no message (HTTP status \(response.status))"
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8]) throws(Failure) -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let error as DecodingError {
            throw Failure(message: describe(error))
        } catch {
            throw Failure(message: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "expected \(type)\(path(context)), found null"
        case .keyNotFound(let key, let context): return "missing \"\(key.stringValue)\"\(path(context))"
        case .dataCorrupted(let context): return "not JSON\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
