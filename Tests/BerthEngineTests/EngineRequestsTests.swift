import Foundation
import Testing
@testable import BerthEngine

@Suite struct EngineRequestsTests {
    @Test("ping and version are GETs under the pinned API version")
    func pingAndVersion() {
        #expect(EngineRequests.ping() == HTTPRequest(method: "GET", path: "/v1.41/_ping"))
        #expect(EngineRequests.version() == HTTPRequest(method: "GET", path: "/v1.41/version"))
    }

    @Test("list asks for all containers with a sorted, percent-encoded label filter")
    func listWithLabels() {
        let request = EngineRequests.listContainers(labels: ["berth.service": "web", "berth.environment": "dev"])
        #expect(request.method == "GET")
        #expect(
            request.path
                == "/v1.41/containers/json?all=1&filters="
                + "%7B%22label%22%3A%5B%22berth.environment%3Ddev%22%2C%22berth.service%3Dweb%22%5D%7D"
        )
        #expect(request.body == nil)
    }

    @Test("the filter decodes back to the JSON Docker expects")
    func listFilterRoundTrip() throws {
        let request = EngineRequests.listContainers(labels: ["berth.environment": "dev"])
        let components = try #require(URLComponents(string: "http://engine" + request.path))
        let filters = try #require(components.queryItems?.first { $0.name == "filters" }?.value)
        #expect(filters == #"{"label":["berth.environment=dev"]}"#)
        #expect(components.queryItems?.first { $0.name == "all" }?.value == "1")
    }

    @Test("list without labels has no filter")
    func listWithoutLabels() {
        #expect(EngineRequests.listContainers(labels: [:]).path == "/v1.41/containers/json?all=1")
    }

    @Test("a label value with spaces, slashes and non-ASCII is encoded byte by byte")
    func listEncodesOddValues() {
        let request = EngineRequests.listContainers(labels: ["k": "a b/ü"])
        #expect(request.path.hasSuffix("%5B%22k%3Da%20b%2F%C3%BC%22%5D%7D"))
    }

    @Test("logs ask for both outputs since a time, without timestamps; a time before 1970 counts as 0")
    func logs() {
        #expect(
            EngineRequests.containerLogs(id: "a1e4", since: 1_795_316_186)
                == HTTPRequest(method: "GET", path: "/v1.41/containers/a1e4/logs?stdout=1&stderr=1&since=1795316186&timestamps=0")
        )
        #expect(EngineRequests.containerLogs(id: "web 1", since: -5).path == "/v1.41/containers/web%201/logs?stdout=1&stderr=1&since=0&timestamps=0")
    }

    @Test("inspect is one GET of the container's JSON")
    func inspect() {
        #expect(EngineRequests.inspectContainer(id: "dev-web/1") == HTTPRequest(method: "GET", path: "/v1.41/containers/dev-web%2F1/json"))
    }

    @Test("the image list is one GET without a query or body")
    func listImages() {
        #expect(EngineRequests.listImages() == HTTPRequest(method: "GET", path: "/v1.41/images/json"))
    }

    @Test("create posts the name in the query and the spec as JSON with sorted keys")
    func createFull() throws {
        let spec = ContainerSpec(
            image: "localhost/berth-example-web:1.0.0",
            command: ["httpd", "-f", "-p", "80"],
            environment: ["MODE=dev", "GREETING=a \"quoted\" word"],
            labels: ["berth.service": "web", "berth.environment": "dev"],
            ports: [
                PublishedPort(containerPort: 80, hostIP: "127.0.0.1", hostPort: 8080),
                PublishedPort(containerPort: 80, hostPort: 8081),
                PublishedPort(containerPort: 53, protocol: "udp"),
            ],
            binds: ["/srv/www:/www:ro"],
            restartPolicy: "unless-stopped",
            healthcheck: EngineHealthcheck(
                test: ["CMD-SHELL", "wget -q -O- http://localhost/health"],
                interval: .seconds(5), timeout: .milliseconds(1500), retries: 3, startPeriod: .seconds(2)
            )
        )
        let request = EngineRequests.createContainer(name: "dev-web-1", spec: spec)
        #expect(request.method == "POST")
        #expect(request.path == "/v1.41/containers/create?name=dev-web-1")
        #expect(request.headers == [HTTPHeader(name: "Content-Type", value: "application/json")])
        let expected =
            #"{"Cmd":["httpd","-f","-p","80"],"Env":["MODE=dev","GREETING=a \"quoted\" word"],"#
            + #""ExposedPorts":{"53/udp":{},"80/tcp":{}},"#
            + #""Healthcheck":{"Interval":5000000000,"Retries":3,"StartPeriod":2000000000,"#
            + #""Test":["CMD-SHELL","wget -q -O- http://localhost/health"],"Timeout":1500000000},"#
            + #""HostConfig":{"Binds":["/srv/www:/www:ro"],"PortBindings":{"#
            + #""53/udp":[{"HostIp":"","HostPort":""}],"#
            + #""80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"},{"HostIp":"","HostPort":"8081"}]},"#
            + #""RestartPolicy":{"Name":"unless-stopped"}},"#
            + #""Image":"localhost/berth-example-web:1.0.0","#
            + #""Labels":{"berth.environment":"dev","berth.service":"web"}}"#
        #expect(request.bodyText == expected)
        // And it is JSON that a standard parser reads the same way.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body ?? [])) as? [String: Any])
        let health = try #require(object["Healthcheck"] as? [String: Any])
        #expect(health["Timeout"] as? Int == 1_500_000_000)
    }

    @Test("a minimal create leaves out command, ports, binds and healthcheck")
    func createMinimal() {
        let request = EngineRequests.createContainer(name: "a b", spec: ContainerSpec(image: "img:1"))
        #expect(request.path == "/v1.41/containers/create?name=a%20b")
        #expect(request.bodyText == #"{"Env":[],"HostConfig":{"RestartPolicy":{"Name":"no"}},"Image":"img:1","Labels":{}}"#)
    }

    @Test("start, stop and remove address the container by its encoded id")
    func lifecycle() {
        #expect(EngineRequests.startContainer(id: "abc123") == HTTPRequest(method: "POST", path: "/v1.41/containers/abc123/start"))
        #expect(
            EngineRequests.stopContainer(id: "abc123", timeoutSeconds: 2)
                == HTTPRequest(method: "POST", path: "/v1.41/containers/abc123/stop?t=2")
        )
        #expect(
            EngineRequests.removeContainer(id: "abc123", force: true)
                == HTTPRequest(method: "DELETE", path: "/v1.41/containers/abc123?force=1")
        )
        #expect(EngineRequests.removeContainer(id: "a/b", force: false).path == "/v1.41/containers/a%2Fb?force=0")
    }

    @Test("the wire form carries Host, Content-Length and Connection: close")
    func wireForm() {
        let get = String(decoding: EngineRequests.ping().serialized(host: "localhost"), as: UTF8.self)
        #expect(get == "GET /v1.41/_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let start = String(decoding: EngineRequests.startContainer(id: "x").serialized(host: "h:1"), as: UTF8.self)
        #expect(start == "POST /v1.41/containers/x/start HTTP/1.1\r\nHost: h:1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let body = HTTPRequest(method: "PUT", path: "/p", headers: [HTTPHeader(name: "host", value: "mine")], body: Array("abc".utf8))
        #expect(
            String(decoding: body.serialized(host: "ignored"), as: UTF8.self)
                == "PUT /p HTTP/1.1\r\nhost: mine\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
    }
}
