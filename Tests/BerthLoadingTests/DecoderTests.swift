import Testing
import BerthYAML
import BerthModel
import BerthLoading
import BerthCore

@Suite struct DecoderTests {
    func load(
        _ files: [String: String], env: String = "dev", variables: [String: String] = [:]
    ) throws -> LoadResult {
        var all = files
        for (path, text) in files where !path.hasPrefix("/") {
            all.removeValue(forKey: path)
            all["/p/environments/" + path] = text
        }
        return try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: InMemoryFileSystem(files: all), variables: variables).load(env)
    }

    @Test("defaults: one replica, unless-stopped, recreate, state and config root under .berth/")
    func defaults() throws {
        let env = try #require(try load(["dev.yaml": "services:\n  web:\n    image: localhost/web:1.0.0\n"]).environment)
        let web = try #require(env.service(named: "web"))
        #expect(web.replicas == 1 && web.restart == .unlessStopped && web.strategy == .recreate)
        #expect(env.state.store == .sqlite(path: "/p/.berth/state.sqlite"))
        #expect(env.configs.root == "/p/.berth/configs/dev")
        #expect(env.project == "p")
        #expect(!env.isProduction)
    }

    @Test("the engine comes from the file, else DOCKER_HOST, else a known socket")
    func engineDefault() throws {
        let written = try #require(try load(["dev.yaml": "engine:\n  host: tcp://10.0.0.5:2375\n"]).environment)
        #expect(written.engine == EngineSettings(host: "tcp://10.0.0.5:2375", isDefault: false))
        let fromVariable = try #require(try load(["dev.yaml": "project: x\n"], variables: ["DOCKER_HOST": "unix:///tmp/d.sock"]).environment)
        #expect(fromVariable.engine == EngineSettings(host: "unix:///tmp/d.sock", isDefault: true))
        let fallback = try #require(try load(["dev.yaml": "project: x\n"]).environment)
        #expect(fallback.engine == EngineSettings(host: "unix:///run/podman/podman.sock", isDefault: true))
    }

    @Test("the environment named production is production; literal secrets are refused there")
    func production() throws {
        let result = try load(["production.yaml": "secrets:\n  token: { value: hunter2 }\n"], env: "production")
        #expect(result.environment == nil)
        #expect(result.diagnostics.map(\.description) == [
            "environments/production.yaml:2:19: error: secrets.token.value: a literal secret in a production environment; reference it with env: or file:",
        ])
    }

    @Test("a literal under a secret-looking name warns outside production and fails inside it")
    func secretLookingNames() throws {
        let text = "services:\n  web:\n    image: localhost/web:1.0.0\n    environment:\n      DB_PASSWORD: hunter2\n"
        let dev = try load(["dev.yaml": text])
        #expect(dev.environment != nil)
        #expect(dev.diagnostics.map(\.severity) == [.warning])
        let production = try load(["production.yaml": text], env: "production")
        #expect(production.environment == nil)
        #expect(production.diagnostics.map(\.severity) == [.error])
    }

    @Test("services that all depend on one another are one cycle, reported once, however many edges close it")
    func tangledDependencies() throws {
        var text = "services:\n"
        for index in 0..<200 {
            let others = (0..<200).filter { $0 != index }.map { "s\($0)" }.joined(separator: ", ")
            text += "  s\(index):\n    image: localhost/x:1\n    depends_on: [\(others)]\n"
        }
        let result = try load(["dev.yaml": text])
        #expect(result.diagnostics.map(\.description) == [
            "environments/dev.yaml:7:18: error: services.s1.depends_on[0]: dependency cycle s0 -> s1 -> s0",
        ])
        // Two separate circles are two reports.
        let two = try load(["dev.yaml": """
            services:
              a: { image: localhost/x:1, depends_on: [b] }
              b: { image: localhost/x:1, depends_on: [a] }
              c: { image: localhost/x:1, depends_on: [d] }
              d: { image: localhost/x:1, depends_on: [c] }
              e: { image: localhost/x:1, depends_on: [a, c] }
            """])
        #expect(two.diagnostics.map(\.message) == [
            "services.b.depends_on[0]: dependency cycle a -> b -> a", "services.d.depends_on[0]: dependency cycle c -> d -> c",
        ])
    }

    @Test("secret references and environment mappings report the same in every shape")
    func referenceShapes() throws {
        let text = """
            secrets:
              api: { env: API }
            services:
              web:
                image: localhost/web:1.0.0
                environment:
                  A: { secret: api }
                  B: { secret: ~ }
                  C: { secret: api, extra: 1 }
                  D: { secrt: api }
                  E: { secret: 1.5 }
                  F: {}
                  G: ~
                  H: { secret: [api] }
                  I: { extra: ~, secret: apj }
                  A: { secret: api }
                  bad-name: x
            """
        let result = try load(["dev.yaml": text])
        #expect(result.diagnostics.map(\.description) == [
            "environments/dev.yaml:8:20: error: services.web.environment.B.secret: 'secret' is required, and null leaves it out",
            "environments/dev.yaml:9:25: error: services.web.environment.C: unknown key 'extra'",
            "environments/dev.yaml:10:10: error: services.web.environment.D: missing required key 'secret'",
            "environments/dev.yaml:10:12: error: services.web.environment.D: unknown key 'secrt'; did you mean 'secret'?",
            "environments/dev.yaml:11:20: error: services.web.environment.E.secret: unknown secret '1.5' (declared: api)",
            "environments/dev.yaml:11:20: warning: services.web.environment.E.secret: 1.5 is a number to other YAML tools (1.5 may read as 1.5); Berth reads the string \"1.5\": quote it to say so",
            "environments/dev.yaml:12:10: error: services.web.environment.F: a value is text, or { secret: NAME } for a secret; this mapping is neither",
            "environments/dev.yaml:13:7: error: services.web.environment.G: null removes nothing here: nothing named 'G' is inherited; did you mean 'A'? (for an empty value, write \"\")",
            "environments/dev.yaml:14:20: error: services.web.environment.H.secret: expected a string, found a list",
            "environments/dev.yaml:15:12: error: services.web.environment.I: unknown key 'extra'",
            "environments/dev.yaml:15:30: error: services.web.environment.I.secret: unknown secret 'apj'; did you mean 'api'? (declared: api)",
            "environments/dev.yaml:16:7: error: duplicate key 'A' (first at line 7, column 7)",
            "environments/dev.yaml:17:7: error: services.web.environment.bad-name: 'bad-name' is not an environment variable name",
        ])
    }

    @Test("ports: a host range gives each replica its own port")
    func portRanges() throws {
        let env = try #require(try load(["dev.yaml": "services:\n  web:\n    image: localhost/web:1.0.0\n    replicas: 2\n    ports: [\"127.0.0.1:8080-8081:80/tcp\", 9000]\n"]).environment)
        let ports = try #require(env.service(named: "web")?.ports)
        #expect(ports[0].hostPort(forReplica: 0) == 8080)
        #expect(ports[0].hostPort(forReplica: 1) == 8081)
        #expect(ports[0].hostIP == "127.0.0.1")
        #expect(ports[1] == PortMapping(hostPorts: nil, containerPort: 9000))
    }

    @Test("ports on different addresses do not conflict; on 0.0.0.0 they do")
    func portAddresses() throws {
        let apart = try load(["dev.yaml": "services:\n  a:\n    image: localhost/a:1\n    ports: [\"127.0.0.1:80:80\"]\n  b:\n    image: localhost/b:1\n    ports: [\"127.0.0.2:80:80\"]\n"])
        #expect(!apart.diagnostics.hasErrors)
        let clash = try load(["dev.yaml": "services:\n  a:\n    image: localhost/a:1\n    ports: [\"127.0.0.1:80:80\"]\n  b:\n    image: localhost/b:1\n    ports: [\"80:80\"]\n"])
        #expect(clash.diagnostics.map(\.message) == ["services.b.ports[0]: host port 80/tcp is already published by services.a.ports[0] (line 4)"])
    }

    /// The messages of an environment whose services are `(name, ports, replicas)`, in order.
    func portMessages(_ services: [(String, [String], Int)]) throws -> [String] {
        var text = "services:\n"
        for (name, ports, replicas) in services {
            text += "  \(name):\n    image: localhost/\(name):1\n    replicas: \(replicas)\n    ports: [\(ports.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        }
        return try load(["dev.yaml": text]).diagnostics.map(\.message)
    }

    @Test("host ports: every address meets the earliest holder; one address meets its own and every address's; protocols apart")
    func portHolders() throws {
        // a and b share 8000-8001 on two addresses; c on every address meets a, the earliest.
        #expect(try portMessages([("a", ["127.0.0.1:8000-8001:80"], 2), ("b", ["127.0.0.2:8000-8001:80"], 2), ("c", ["0.0.0.0:8001:80"], 1)]) == [
            "services.c.ports[0]: host port 8001/tcp is already published by services.a.ports[0] (line 5)",
        ])
        // After every address has a port, a single address meets it; '::' is every address too.
        #expect(try portMessages([("a", ["[::]:8000:80"], 1), ("b", ["127.0.0.2:8000:80"], 1)]) == [
            "services.b.ports[0]: host port 8000/tcp is already published by services.a.ports[0] (line 5)",
        ])
        // The same address meets its own holder, not another address's, at the first port they share.
        #expect(try portMessages([("a", ["127.0.0.1:8000-8009:80"], 10), ("b", ["127.0.0.2:8005-8014:80"], 10), ("c", ["127.0.0.2:8010-8019:80"], 10)]) == [
            "services.c.ports[0]: host port 8010/tcp is already published by services.b.ports[0] (line 9)",
        ])
        // TCP and UDP are apart; a range gives only as many ports as replicas bind.
        #expect(try portMessages([("a", ["8000:80", "8000:80/udp"], 1), ("b", ["127.0.0.1:7999-8999:80"], 1)]) == [])
    }

    @Test("host ports: 400 ranges on 400 addresses are apart; one more on every address meets the first")
    func manyPortHolders() throws {
        let services = (0..<400).map { ("s\($0)", ["10.0.\($0 / 250).\($0 % 250 + 1):8000-8019:80"], 20) }
        #expect(try portMessages(services) == [])
        #expect(try portMessages(services + [("all", ["8010-8029:80"], 20)]) == [
            "services.all.ports[0]: host port 8010/tcp is already published by services.s0.ports[0] (line 5)",
        ])
    }

    @Test("did you mean: a key a few edits from a known one is suggested; a name too long to be a misspelt one is not compared")
    func suggestions() throws {
        func unknown(_ key: String) throws -> [String] {
            try load(["dev.yaml": "services:\n  web:\n    image: localhost/web:1\n    \(key): 1\n"]).diagnostics.map(\.message)
        }
        #expect(try unknown("replcias") == ["services.web: unknown key 'replcias'; did you mean 'replicas'?"])
        #expect(try unknown("REPLICAS") == ["services.web: unknown key 'REPLICAS'; did you mean 'replicas'?"])
        #expect(try unknown("rep") == ["services.web: unknown key 'rep'"])
        // Two secret names of 200,000 letters, one apart at the end: no word that long is a misspelt name, and
        // comparing it would cost its length squared; the unknown one is reported without a suggestion.
        let long = String(repeating: "k", count: 200_000)
        // (A key longer than 1024 characters is written as an explicit key, `? KEY`.)
        let result = try load(["dev.yaml": "secrets:\n  ? \(long)a\n  : { env: X }\nservices:\n  web:\n    image: localhost/web:1\n    environment:\n      A: { secret: \(long)b }\n"])
        let messages = result.diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("unknown secret") } && !messages.contains { $0.contains("did you mean") })
    }

    @Test("command as a string is split as a shell would")
    func commandString() throws {
        let env = try #require(try load(["dev.yaml": "services:\n  w:\n    image: localhost/w:1\n    command: sh -c 'echo \"hi there\"'\n"]).environment)
        #expect(env.service(named: "w")?.command == ["sh", "-c", "echo \"hi there\""])
    }

    @Test("migrations are listed in version order with their undo files")
    func migrations() throws {
        let files = [
            "dev.yaml": "database:\n  url: sqlite:db.sqlite\n",
            "migrations/V10__ten.sql": "select 10;",
            "migrations/V2__two_words.sql": "select 2;",
            "migrations/U2__two_words.sql": "select -2;",
            "migrations/README.md": "notes",
        ]
        let env = try #require(try load(files).environment)
        let database = try #require(env.database)
        #expect(database.location == .sqlite(path: "/p/db.sqlite"))
        #expect(database.migrations.map(\.version.text) == ["2", "10"])
        #expect(database.migrations.map(\.description) == ["two words", "ten"])
        #expect(database.migrations[0].undoPath == "/p/environments/migrations/U2__two_words.sql")
    }

    @Test("template placeholders: every one needs a value; unused values warn")
    func placeholders() throws {
        let files = [
            "dev.yaml": "configs:\n  files:\n    app:\n      template: app.tmpl\n      target: app.conf\n      values:\n        used: 1\n        spare: 2\n",
            "app.tmpl": "a={{ used }}\nb={{missing}}\n",
        ]
        let result = try load(files)
        #expect(result.diagnostics.map(\.description) == [
            "environments/app.tmpl:2:3: error: the placeholder 'missing' has no value in configs.files.app.values",
            "environments/dev.yaml:8:9: warning: configs.files.app.values.spare: no placeholder of environments/app.tmpl uses this value",
        ])
    }

    @Test("config modes are octal however they are written", arguments: ["\"0640\"", "0640", "640", "\"0o640\""])
    func modes(_ written: String) throws {
        let files = [
            "dev.yaml": "configs:\n  files:\n    app:\n      template: app.tmpl\n      target: app.conf\n      mode: \(written)\n",
            "app.tmpl": "static\n",
        ]
        let env = try #require(try load(files).environment)
        #expect(env.configs.files.first?.mode == 0o640)
        #expect(env.configs.files.first?.target == "/p/.berth/configs/dev/app.conf")
    }
}
