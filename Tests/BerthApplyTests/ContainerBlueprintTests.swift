import Testing
import BerthModel
import BerthLoading
import BerthEngine
import BerthObserve
import BerthApply
import BerthPlan
import Foundation
import BerthCore

@Suite struct ContainerBlueprintTests {
    func resolution(_ dev: String, variables: [String: String] = [:]) throws -> DesiredStateResolver.Resolution {
        let files = InMemoryFileSystem(files: [
            "/p/environments/dev.yaml": dev,
            "/p/environments/app.tmpl": "token={{ token }}\n",
        ])
        let environment = try #require(try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).load("dev").environment)
        return try DesiredStateResolver(fileSystem: files, variables: variables).resolve(environment)
    }

    static let project = """
        project: shop
        services:
          web:
            image: localhost/web:1.0.0
            command: ["httpd", "-f"]
            replicas: 2
            ports: ["127.0.0.1:8080-8081:80", "9000"]
            volumes: ["data:/data", "/srv/static:/static:ro"]
            environment:
              LOG_LEVEL: info
              TOKEN: { secret: token }
            configs:
              - source: app
                target: /etc/app.conf
            healthcheck:
              test: ["CMD", "true"]
              interval: 5s
            labels:
              team: web
            restart: always
        configs:
          files:
            app:
              template: app.tmpl
              target: app.conf
              values:
                token: { secret: token }
        secrets:
          token: { env: TOKEN }
        """

    @Test("a replica's spec: its own host port, Berth's labels, secrets resolved, configs mounted read-only")
    func spec() throws {
        let resolution = try resolution(Self.project, variables: ["TOKEN": "s3cret"])
        let web = try #require(resolution.desired.environment.service(named: "web"))
        let blueprint = Blueprints.container(for: web, replica: 2, name: "shop-dev-web-2", desired: resolution.desired)
        let spec = try ContainerSpec(blueprint, secrets: resolution.secrets)
        #expect(spec.image == "localhost/web:1.0.0")
        #expect(spec.command == ["httpd", "-f"])
        #expect(spec.environment == ["LOG_LEVEL=info", "TOKEN=s3cret"])
        #expect(spec.ports == [
            PublishedPort(containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1", hostPort: 8081),
            PublishedPort(containerPort: 9000, protocol: "tcp", hostIP: nil, hostPort: nil),
        ])
        #expect(spec.binds == ["data:/data", "/srv/static:/static:ro", "/p/.berth/configs/dev/app.conf:/etc/app.conf:ro"])
        #expect(spec.restartPolicy == "always")
        #expect(spec.healthcheck?.test == ["CMD", "true"])
        #expect(spec.healthcheck?.interval == .seconds(5))
        let webSpec = try #require(resolution.desired.specs["web"])
        #expect(spec.labels == [
            "team": "web", "berth.project": "shop", "berth.environment": "dev", "berth.service": "web", "berth.replica": "2",
            "berth.spec-hash": webSpec.hash, "berth.spec-parts": webSpec.partsLabel, "berth.spec": webSpec.recorded?.label ?? "",
        ])
        // The plan's blueprint holds the secret only as a reference; the value is filled in when the spec is sent.
        #expect(blueprint.environment.last == ContainerBlueprint.Variable(name: "TOKEN", value: .secret("token")))
        let saved = try JSONEncoder().encode(blueprint)
        #expect(!String(decoding: saved, as: UTF8.self).contains("s3cret"))
    }

    @Test("sending a blueprint whose secret was not resolved fails naming the secret, not a value")
    func unresolvedSecret() throws {
        let resolution = try resolution(Self.project, variables: ["TOKEN": "s3cret"])
        let web = try #require(resolution.desired.environment.service(named: "web"))
        let blueprint = Blueprints.container(for: web, replica: 1, name: "shop-dev-web-1", desired: resolution.desired)
        let error = #expect(throws: ApplyError.self) { try ContainerSpec(blueprint, secrets: [:]) }
        #expect(error?.message.contains("the secret token of TOKEN was not resolved") == true)
    }

    @Test("a secret's value reaches the container but only a hash of it reaches the labels")
    func secretsOnlyHashed() throws {
        let one = try resolution(Self.project, variables: ["TOKEN": "first-value"])
        let two = try resolution(Self.project, variables: ["TOKEN": "second-value"])
        let web = try #require(one.desired.environment.service(named: "web"))
        let blueprint = Blueprints.container(for: web, replica: 1, name: "shop-dev-web-1", desired: one.desired)
        let labels = try ContainerSpec(blueprint, secrets: one.secrets).labels.values.joined(separator: " ")
        #expect(!labels.contains("first-value"))
        // Rotating the secret changes the spec, so the planner replaces the containers that use it.
        #expect(one.desired.specs["web"]?.hash != two.desired.specs["web"]?.hash)
        #expect(one.desired.specs["web"]?.parts["environment"] != two.desired.specs["web"]?.parts["environment"])
    }
}
