import Testing
import BerthYAML
import BerthCore

@Suite struct YAMLParserTests {
    func parse(_ text: String, limits: YAMLParser.Limits = .init()) -> YAMLParser.Result {
        YAMLParser(limits: limits).parse(Array(text.utf8), file: "t.yaml")
    }

    @Test("every node keeps its 1-based line and column")
    func marks() throws {
        let root = try #require(parse("a: 1\nb:\n  - x\n  - y: z\n").root)
        #expect(root.location == SourceLocation(file: "t.yaml", line: 1, column: 1))
        let b = try #require(root["b"]?.sequence)
        #expect(b[0].location == SourceLocation(file: "t.yaml", line: 3, column: 5))
        #expect(b[1]["y"]?.location == SourceLocation(file: "t.yaml", line: 4, column: 8))
        let keys = try #require(root.mapping).map { $0.key.location.line }
        #expect(keys == [1, 2])
    }

    @Test("quoted scalars stay strings; plain ones resolve by the YAML 1.2 core schema")
    func scalarResolution() throws {
        let root = try #require(parse("q: \"1.10\"\np: 1.10\ni: 42\nb: true\nn: ~\ne:\ny: yes\n").root)
        let q = try #require(root["q"]?.scalar)
        #expect(q.text == "1.10" && q.style == .doubleQuoted && !q.looksLikeFloat)
        #expect(root["p"]?.scalar?.looksLikeFloat == true)
        #expect(root["i"]?.scalar?.int == 42)
        #expect(root["b"]?.scalar?.bool == true)
        #expect(root["n"]?.isNull == true)
        #expect(root["e"]?.isNull == true)
        #expect(root["y"]?.scalar?.bool == nil)
        #expect(root["y"]?.scalar?.looksLikeYAML11Bool == true)
    }

    @Test("a parsed node is null exactly when its scalar is")
    func nulls() throws {
        let text = "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: !!null x\ng: \"null\"\nh: nul\ni: nulls\nj: !!str\nk: []\nl: NUll\n"
        let root = try #require(parse(text).root)
        for pair in try #require(root.mapping) {
            let scalarIsNull = pair.value.scalar?.isNull ?? false
            #expect(pair.value.isNull == scalarIsNull, "\(pair.name)")
        }
        let nulls = try #require(root.mapping).filter(\.value.isNull).map(\.name)
        // `!!null x` contradicts its tag: an error, and the value is no null.
        #expect(nulls == ["a", "b", "c", "d", "e"])
        #expect(parse(text).diagnostics.map(\.message) == ["!!null 'x' is not null; drop the tag, or the value"])
    }

    @Test("duplicate keys are errors at the second key, naming the first")
    func duplicateKeys() {
        let result = parse("a: 1\nb: 2\na: 3\n")
        #expect(result.diagnostics.map(\.description) == ["t.yaml:3:1: error: duplicate key 'a' (first at line 1, column 1)"])
    }

    @Test("anchors, aliases and << merge keys; explicit keys win, merged keys stand where << stood")
    func mergeKeys() throws {
        let text = """
            defaults: &defaults
              image: web:1
              replicas: 2
            other: &other
              replicas: 5
              restart: always
            web:
              <<: [*defaults, *other]
              replicas: 3
            """
        let result = parse(text)
        #expect(result.diagnostics.isEmpty)
        let web = try #require(result.root?["web"])
        #expect(web["image"]?.scalar?.text == "web:1")
        #expect(web["replicas"]?.scalar?.text == "3")
        #expect(web["restart"]?.scalar?.text == "always")
        #expect(web.mapping?.map(\.name) == ["image", "restart", "replicas"])
    }

    @Test("a long string aliased many times stops with one error, by the bytes it would expand to")
    func longStringAliased() {
        var text = "big: &big \"\(String(repeating: "x", count: 10_000))\"\nlist:\n"
        for _ in 0..<500 { text += "  - *big\n" }
        let result = parse(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("aliases expand to more than 1048576 bytes of text") == true)
        // It stops at the alias that crosses the bound: the 105th, on line 107.
        #expect(result.diagnostics.first?.location.line == 107)

        // A few aliases of a short string are fine.
        #expect(parse("a: &a hello\nb: [*a, *a, *a]\n").diagnostics.isEmpty)
    }

    @Test("an alias bomb stops with an error instead of expanding")
    func billionLaughs() {
        var text = "a: &a [\(Array(repeating: "lol", count: 10).joined(separator: ", "))]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "\(name): &\(name) [\(Array(repeating: "*\(previous)", count: 10).joined(separator: ", "))]\n"
        }
        let result = parse(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("aliases expand to more than 100000 nodes") == true)
        #expect(result.diagnostics.first?.location.line == 5)
    }

    @Test("an alias to an unknown anchor is an error")
    func unknownAlias() {
        let result = parse("a: *nowhere\n")
        #expect(result.diagnostics.map(\.description) == ["t.yaml:1:4: error: alias *nowhere names no anchor defined before it"])
    }

    @Test("a second document is an error at its start")
    func secondDocument() {
        let result = parse("a: 1\n---\nb: 2\n")
        #expect(result.root == nil)
        #expect(result.diagnostics.map(\.location.line) == [2])
    }

    @Test("an empty file has no root and no error", arguments: ["", "\n", "# only a comment\n"])
    func empty(_ text: String) {
        let result = parse(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.isEmpty)
    }

    @Test("invalid UTF-8 is reported at the line and column of the bad byte")
    func invalidUTF8() {
        var bytes = Array("a: 1\nb: ok\nc: x".utf8)
        bytes.append(0xFF)
        bytes += Array("y\n".utf8)
        let result = YAMLParser().parse(bytes, file: "t.yaml")
        #expect(result.root == nil)
        let diagnostic = result.diagnostics.first
        #expect(diagnostic?.location == SourceLocation(file: "t.yaml", line: 3, column: 5))
        #expect(diagnostic?.message.contains("not valid UTF-8") == true)
    }

    @Test("syntax errors carry libyaml's position and explanation")
    func syntaxError() {
        let result = parse("a: 1\nb: \"unclosed\n")
        #expect(result.root == nil)
        #expect(result.diagnostics.first?.message.hasPrefix("syntax error:") == true)
        #expect(result.diagnostics.first?.location.line == 2 || result.diagnostics.first?.location.line == 3)
    }

    @Test("a tab where indentation is expected gets its own message")
    func tab() {
        let result = parse("a:\n\tb: 1\n")
        #expect(result.diagnostics.map(\.description) == [
            "t.yaml:2:1: error: a tab character where YAML expects indentation; indent with spaces",
        ])
    }

    @Test("deep nesting is refused at the limit, without recursion")
    func deepNesting() {
        let depth = 100_000
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let result = parse(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.map(\.description) == ["t.yaml:1:65: error: nesting deeper than 64 levels"])
    }

    @Test("nesting up to the limit is fine")
    func nestingAtLimit() {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parse(text).diagnostics.isEmpty)
    }

    @Test("unsupported tags are errors; core tags are kept")
    func tags() throws {
        let result = parse("a: !!str 10\nb: !custom x\n")
        #expect(result.root?["a"]?.scalar?.int == nil)
        #expect(result.root?["a"]?.scalar?.text == "10")
        #expect(result.diagnostics.map(\.description) == ["t.yaml:2:4: error: unsupported tag !custom"])
    }

    @Test("non-scalar mapping keys are errors")
    func complexKey() {
        let result = parse("? [a, b]\n: c\n")
        #expect(result.diagnostics.first?.message.contains("a mapping key must be a plain value") == true)
    }
}
