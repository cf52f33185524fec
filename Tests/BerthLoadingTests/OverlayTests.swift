import Testing
import BerthYAML
import BerthModel
import BerthLoading
import BerthCore

/// The rules of `extends:`: maps merge by key, lists replace, null removes, alternatives replace each other.
@Suite struct OverlayTests {
    static let base = """
        project: shop
        services:
          web:
            image: localhost/web:1.0.0
            replicas: 2
            ports: ["127.0.0.1:18080-18081:80"]
            environment:
              LOG_LEVEL: info
              FEATURE_X: "on"
            healthcheck:
              url: http://localhost:80/health
              interval: 5s
          worker:
            image: localhost/worker:1.0.0
        secrets:
          token: { env: TOKEN }
        """

    func load(_ dev: String, base: String = OverlayTests.base) throws -> LoadResult {
        let files = InMemoryFileSystem(files: [
            "/p/environments/base.yaml": base,
            "/p/environments/dev.yaml": dev,
        ])
        return try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).load("dev")
    }

    func environment(_ dev: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Environment {
        let result = try load(dev)
        #expect(!result.diagnostics.hasErrors, Comment(rawValue: "\(result.diagnostics)"), sourceLocation: sourceLocation)
        return try #require(result.environment, sourceLocation: sourceLocation)
    }

    @Test("maps merge by key: the child changes one field and keeps the rest")
    func mapsMerge() throws {
        let env = try environment("extends: base\nservices:\n  web:\n    replicas: 1\n    environment:\n      LOG_LEVEL: debug\n")
        let web = try #require(env.service(named: "web"))
        #expect(web.replicas == 1)
        #expect(web.image.text == "localhost/web:1.0.0")
        #expect(web.environment == [
            EnvironmentVariable(name: "FEATURE_X", value: .literal("on")),
            EnvironmentVariable(name: "LOG_LEVEL", value: .literal("debug")),
        ])
        #expect(env.services.map(\.name) == ["web", "worker"])
        #expect(env.project == "shop")
    }

    @Test("lists replace, they do not append")
    func listsReplace() throws {
        let env = try environment("extends: base\nservices:\n  web:\n    ports: [\"127.0.0.1:19090-19091:80\"]\n")
        #expect(env.service(named: "web")?.ports.map(\.description) == ["127.0.0.1:19090-19091:80"])
    }

    @Test("a key set to null is removed, at any depth")
    func nullRemoves() throws {
        let env = try environment("extends: base\nservices:\n  worker: null\n  web:\n    healthcheck: ~\n    environment:\n      FEATURE_X:\n")
        #expect(env.services.map(\.name) == ["web"])
        let web = try #require(env.service(named: "web"))
        #expect(web.healthcheck == nil)
        #expect(web.environment.map(\.name) == ["LOG_LEVEL"])
    }

    @Test("setting one alternative drops the inherited other: a secret's env becomes a value")
    func alternativesReplace() throws {
        let env = try environment("extends: base\nsecrets:\n  token: { value: dev-only }\n")
        #expect(env.secrets == [Secret(name: "token", source: .literal("dev-only"))])
    }

    @Test("a health check's test replaces an inherited url, keeping the timing")
    func healthcheckAlternatives() throws {
        let env = try environment("extends: base\nservices:\n  web:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n")
        let health = try #require(env.service(named: "web")?.healthcheck)
        #expect(health.check == .command(["CMD", "true"]))
        #expect(health.interval == TimeSpan(milliseconds: 5_000))
    }

    @Test("a child adds services of its own")
    func childAdds() throws {
        let env = try environment("extends: base\nservices:\n  cron:\n    image: localhost/cron:2.0.0\n")
        #expect(env.services.map(\.name) == ["cron", "web", "worker"])
    }

    @Test("chains of extends resolve in order, nearest file wins")
    func chains() throws {
        let files = InMemoryFileSystem(files: [
            "/p/environments/base.yaml": Self.base,
            "/p/environments/production.yaml": "extends: base\nservices:\n  web:\n    replicas: 2\n    image: localhost/web:2.0.0\n",
            "/p/environments/dr.yaml": "extends: production\nproduction: true\nservices:\n  web:\n    image: localhost/web:2.0.1\n",
        ])
        let loader = ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files)
        let dr = try #require(try loader.load("dr").environment)
        #expect(dr.service(named: "web")?.image.text == "localhost/web:2.0.1")
        #expect(dr.service(named: "web")?.replicas == 2)
        #expect(dr.isProduction)
        #expect(try loader.load("production").environment?.isProduction == true)
    }

    /// The diagnostics of `name` in a project of `files`, by name under `environments/`.
    func diagnostics(_ name: String, _ files: [String: String]) throws -> [String] {
        let system = InMemoryFileSystem(files: Dictionary(uniqueKeysWithValues: files.map { ("/p/environments/\($0.key).yaml", $0.value) }))
        return try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: system).load(name).diagnostics.map(\.description)
    }

    @Test("a secret a null removed while a service still uses it is reported at the null, not at the use")
    func removedSecretStillUsed() throws {
        #expect(try diagnostics("dev", ["base": Self.base, "dev": "extends: base\nsecrets:\n  token: null\nservices:\n  web:\n    environment:\n      TOKEN: { secret: token }\n"]) == [
            "environments/dev.yaml:3:10: error: secrets.token: null removes this secret, but services.web.environment.TOKEN.secret still uses it",
        ])
    }

    @Test("the null nearest the environment is the one reported, and a secret declared again after a null is no mistake")
    func removedThenDeclaredAgain() throws {
        let files = [
            "base": "services:\n  worker:\n    image: localhost/worker:1.0.0\n    environment:\n      TOKEN: { secret: token }\nsecrets:\n  token: { env: TOKEN }\n",
            "mid": "extends: base\nsecrets:\n  token: null\n",
            "again": "extends: mid\nsecrets:\n  token: { value: dev-only }\n",
            "gone": "extends: again\nsecrets: null\n",
        ]
        #expect(try diagnostics("again", files) == [])
        #expect(try diagnostics("gone", files) == [
            "environments/gone.yaml:2:10: error: secrets: null removes the secret 'token', but services.worker.environment.TOKEN.secret still uses it",
        ])
    }

    @Test("more than three uses of what a null removed are counted, not listed")
    func manyUsesCounted() throws {
        let uses = (1...5).map { "  s\($0):\n    image: localhost/s:1\n    depends_on: [db]\n" }.joined()
        let files = ["base": "services:\n  db:\n    image: localhost/db:16\n" + uses, "dev": "extends: base\nservices:\n  db: ~\n"]
        #expect(try diagnostics("dev", files) == [
            "environments/dev.yaml:3:7: error: services.db: null removes this service, but services.s1.depends_on[0], services.s2.depends_on[0], services.s3.depends_on[0] and 2 more still depend on it",
        ])
    }

    @Test("problems inherited from a base are reported at the base's lines")
    func baseLocations() throws {
        let result = try load("extends: base\n", base: "services:\n  web:\n    image: localhost/web:1.0.0\n    replicas: many\n")
        #expect(result.diagnostics.map(\.description) == [
            "environments/base.yaml:4:15: error: services.web.replicas: expected an integer, found a string",
        ])
    }

    @Test("base.yaml is not an environment of its own")
    func baseIsNotAnEnvironment() throws {
        let files = InMemoryFileSystem(files: ["/p/environments/base.yaml": Self.base, "/p/environments/dev.yaml": "extends: base\n"])
        #expect(try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).environmentNames() == ["dev"])
    }

    @Test("an unknown environment is an error with a suggestion")
    func unknownEnvironment() throws {
        let files = InMemoryFileSystem(files: ["/p/environments/staging.yaml": "project: x\n"])
        let loader = ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files)
        #expect(throws: LoadError.self) { try loader.load("stagign") }
        do {
            _ = try loader.load("stagign")
        } catch {
            #expect(error.description == "no environment 'stagign'; did you mean 'staging'? (environments: staging)")
        }
    }

    @Test("a chain of 10,000 extends is walked in a loop, not a recursion that could run out of stack")
    func longChain() throws {
        let count = 10_000
        var files = ["/p/environments/base.yaml": "services:\n  web:\n    image: localhost/web:1.0.0\n"]
        for index in 0..<count {
            let parent = index + 1 < count ? "e\(index + 1)" : "base"
            files["/p/environments/e\(index).yaml"] = "extends: \(parent)\nservices:\n  web:\n    replicas: \(index % 7)\n"
        }
        let result = try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: InMemoryFileSystem(files: files)).load("e0")
        #expect(result.diagnostics.isEmpty)
        #expect(result.environment?.service(named: "web")?.replicas == 0)
    }

    @Test("every environment of a chain is laid over the same bases, which are laid once, with their diagnostics each time")
    func sharedChain() throws {
        let files = InMemoryFileSystem(files: [
            "/p/environments/base.yaml": "services:\n  web:\n    image: localhost/web:1.0.0\n    environment:\n      A: \"1\"\n",
            "/p/environments/staging.yaml": "extends: base\nservices:\n  web:\n    environment:\n      B: yes\n",
            "/p/environments/dev.yaml": "extends: staging\nservices:\n  web:\n    environment:\n      C: \"3\"\n",
        ])
        let results = try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).loadAll()
        #expect(results.map(\.name) == ["dev", "staging"])
        #expect(results.map { $0.environment?.service(named: "web")?.environment.map(\.name) ?? [] } == [["A", "B", "C"], ["A", "B"]])
        // The warning of staging.yaml goes with each environment that reads it.
        #expect(results.map { $0.diagnostics.map(\.location.file) } == [["environments/staging.yaml"], ["environments/staging.yaml"]])
    }

    @Test("files extending one another in a circle: each environment reports the circle from where its walk enters it")
    func cycles() throws {
        let files = InMemoryFileSystem(files: [
            "/p/environments/a.yaml": "extends: b\n", "/p/environments/b.yaml": "extends: c\n", "/p/environments/c.yaml": "extends: b\n",
        ])
        let results = try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).loadAll()
        #expect(results.map { $0.diagnostics.map(\.description) } == [
            ["environments/c.yaml:1:10: error: extends: cycle b -> c -> b"],
            ["environments/c.yaml:1:10: error: extends: cycle b -> c -> b"],
            ["environments/b.yaml:1:10: error: extends: cycle c -> b -> c"],
        ])
    }
}
