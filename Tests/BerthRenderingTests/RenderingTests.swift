import Testing
import BerthYAML
import BerthModel
import BerthLoading
import BerthRendering
import BerthCore

@Suite struct RenderingTests {
    @Test("JSON strings are escaped; keys keep their order")
    func json() {
        let value: JSONValue = .object([
            "z": .string("quote \" backslash \\ newline \n tab \t bell \u{07}"),
            "a": .array([.int(1), .bool(false), .null]),
            "empty": .object([]),
        ])
        #expect(value.jsonText() == """
            {
              "z": "quote \\" backslash \\\\ newline \\n tab \\t bell \\u0007",
              "a": [
                1,
                false,
                null
              ],
              "empty": {}
            }

            """)
    }

    @Test("YAML output reads back as the same value through Berth's own parser")
    func yamlRoundTrip() throws {
        let tricky = ["1.10", "yes", "null", "", " padded", "a: b", "# not a comment", "-", "- item", "0x1F", "true", "plain text", "[x]", "*alias", "multi\nline", "5s", "-c"]
        let value: JSONValue = .object([
            "strings": .strings(tricky),
            "nested": .object(["list": .array([.object(["k": .string("v"), "n": .int(3)]), .array([.string("deep")])])]),
            "empty_list": .array([]),
        ])
        let text = value.yamlText()
        let root = try #require(YAMLParser().parse(Array(text.utf8), file: "out.yaml").root, "\(text)")
        let strings = try #require(root["strings"]?.sequence)
        #expect(strings.map { $0.scalar?.text } == tricky)
        // Everything that is a string in the value is a string to a YAML reader: never a number, boolean or null.
        for node in strings { #expect(node.scalar.map { !$0.isPlain || ($0.int == nil && $0.bool == nil && !$0.isNull && !$0.looksLikeFloat) } == true) }
        #expect(root["nested"]?["list"]?.sequence?.first?["n"]?.scalar?.int == 3)
        #expect(root["nested"]?["list"]?.sequence?.last?.sequence?.first?.scalar?.text == "deep")
        #expect(text.contains("empty_list: []\n"))
    }

    @Test("the JSON Schema is generated from the model's schema: every key of every section is there")
    func schema() throws {
        guard case .object(let members) = SchemaDocument.json(),
              case .object(let properties)? = members.first(where: { $0.key == "properties" })?.value else {
            Issue.record("no properties")
            return
        }
        #expect(properties.map(\.key) == EnvironmentSchema.environment.keys)
        #expect(members.first?.key == "$schema")
        let text = SchemaDocument.json().jsonText()
        for key in EnvironmentSchema.service.keys + EnvironmentSchema.healthcheck.keys + EnvironmentSchema.configFile.keys {
            #expect(text.contains("\"\(key)\": {"), "\(key)")
        }
    }

    @Test("a rendered environment shows the proxy, and a routed service's route and the settings of its strategy")
    func traffic() throws {
        let files = InMemoryFileSystem(files: [
            "/p/environments/dev.yaml": """
                proxy: { listen: "[::1]:18000" }
                services:
                  web:
                    image: localhost/web:1.0.0
                    route: { host: shop.example.com, port: 8000 }
                    strategy: canary
                    verify: { max_error_percent: 0.5 }
                    blue_green: { keep: 1h }
                  worker:
                    image: localhost/worker:1.0.0
                """,
        ])
        let environment = try #require(try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).load("dev").environment)
        let text = EnvironmentView(environment, projectRoot: "/p").json().yamlText()
        #expect(text.contains("""
            proxy:
              kind: haproxy
              listen: "[::1]:18000"
              root: .berth/proxy/dev
              ports: 20000-29999
            """))
        #expect(text.contains("""
                strategy: canary
                route:
                  host: shop.example.com
                  path: /
                  port: 8000
                  drain_timeout: 30s
                canary:
                  steps:
                    - weight: 10
                      pause: 1m
            """))
        #expect(text.contains("      max_error_percent: 0.5\n      max_latency_ratio: 3\n"))
        // Blue-green settings do nothing for a canary, and an unrouted service has none of these keys.
        #expect(!text.contains("blue_green"))
        #expect(text.components(separatedBy: "route:").count == 2)
    }

    @Test("a rendered environment shows secret values only as (sensitive)")
    func sensitive() throws {
        let files = InMemoryFileSystem(files: [
            "/p/environments/dev.yaml": """
                services:
                  web:
                    image: localhost/web:1.0.0
                    environment:
                      TOKEN: { secret: token }
                      PLAIN: visible
                secrets:
                  token: { value: hunter2-literal }
                """,
        ])
        let environment = try #require(try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).load("dev").environment)
        let view = EnvironmentView(environment, projectRoot: "/p").json()
        for text in [view.jsonText(), view.yamlText()] {
            #expect(!text.contains("hunter2"))
            #expect(text.contains("visible"))
            #expect(text.contains("(sensitive)"))
        }
    }
}
