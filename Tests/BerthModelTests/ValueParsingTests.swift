import Testing
import BerthModel

@Suite struct ValueParsingTests {
    @Test("durations read and print back", arguments: [
        ("500ms", 500, "500ms"), ("5s", 5_000, "5s"), ("1m30s", 90_000, "1m30s"), ("2h", 7_200_000, "2h"),
        ("90s", 90_000, "1m30s"), ("0s", 0, "0s"), ("1h1m1s1ms", 3_661_001, "1h1m1s1ms"),
    ])
    func durations(_ text: String, _ milliseconds: Int, _ printed: String) throws {
        let span = try TimeSpan(parsing: text)
        #expect(span.milliseconds == milliseconds)
        #expect(span.description == printed)
    }

    @Test("malformed durations are refused", arguments: ["", "5", "s", "5 s", "1s1m", "5x", "1.5s", "-1s", "5ss", "9999999999s"])
    func badDurations(_ text: String) {
        #expect(throws: ValueError.self) { try TimeSpan(parsing: text) }
    }

    @Test("port mappings in compose's short syntax", arguments: [
        ("80", nil, nil, 80, "80"),
        ("8080:80", nil, 8080...8080, 80, "8080:80"),
        ("127.0.0.1:8080-8081:80", "127.0.0.1", 8080...8081, 80, "127.0.0.1:8080-8081:80"),
        ("[::1]:53:53/udp", "::1", 53...53, 53, "[::1]:53:53/udp"),
        ("0.0.0.0::80", "0.0.0.0", nil, 80, "0.0.0.0:80"),
    ] as [(String, String?, ClosedRange<Int>?, Int, String)])
    func ports(_ text: String, _ ip: String?, _ hostPorts: ClosedRange<Int>?, _ container: Int, _ printed: String) throws {
        let mapping = try PortMapping(parsing: text)
        #expect(mapping.hostIP == ip)
        #expect(mapping.hostPorts == hostPorts)
        #expect(mapping.containerPort == container)
        #expect(mapping.description == printed)
    }

    @Test("malformed port mappings are refused", arguments: [
        "", "0", "65536", "80:", "a:80", "8081-8080:80", "1.2.3:80:80", "256.0.0.1:80:80", "80/sctp", "1:2:3:4", "[::1:80:80",
    ])
    func badPorts(_ text: String) {
        #expect(throws: ValueError.self) { try PortMapping(parsing: text) }
    }

    @Test("image references", arguments: [
        ("localhost/berth-example-web:1.0.0", "localhost/berth-example-web", "1.0.0"),
        ("nginx", "nginx", nil),
        ("registry.example.com:5000/team/app_x__y.z-w:v1.2-rc.1", "registry.example.com:5000/team/app_x__y.z-w", "v1.2-rc.1"),
        ("localhost:5000/a", "localhost:5000/a", nil),
        ("a---b:latest", "a---b", "latest"),
    ] as [(String, String, String?)])
    func images(_ text: String, _ repository: String, _ tag: String?) throws {
        let image = try ImageReference(parsing: text)
        #expect(image.repository == repository)
        #expect(image.tag == tag)
        #expect(image.description == text)
    }

    @Test("digests are kept")
    func digest() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let image = try ImageReference(parsing: "web:1@\(digest)")
        #expect(image.digest == digest)
        #expect(image.tag == "1")
    }

    @Test("malformed image references are refused", arguments: [
        "", "Web:1", "web:", "web:-1", "web/:1", "/web", "we..b", "web_", "we___b", "web@sha256:xyz", "web:1 0",
        String(repeating: "a", count: 256),
    ])
    func badImages(_ text: String) {
        #expect(throws: ValueError.self) { try ImageReference(parsing: text) }
    }

    @Test("migration versions compare by their numbers", arguments: [("3", "003", true), ("1", "1.0", true), ("1.2", "1_2", true), ("2", "10", false)])
    func versions(_ a: String, _ b: String, _ equal: Bool) throws {
        let x = try #require(MigrationVersion(a)), y = try #require(MigrationVersion(b))
        #expect((x == y) == equal)
        if !equal { #expect(x < y) }
    }

    @Test("command strings split as a shell would")
    func shellWords() throws {
        #expect(try ShellWords.split(#"sh -c 'echo "a b"' x\ y "q\"r""#) == ["sh", "-c", #"echo "a b""#, "x y", #"q"r"#])
        #expect(throws: ValueError.self) { try ShellWords.split("echo 'open") }
    }
}

@Suite struct SHA256Tests {
    @Test("the standard test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(_ input: String, _ digest: String) {
        #expect(SHA256.hex(input) == digest)
    }

    @Test("a million a's, fed in uneven pieces, give the same digest as at once")
    func pieces() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var hasher = SHA256()
        var offset = 0
        for size in [1, 63, 64, 65, 127, 1000] .lazy.cycled(to: million.count) where offset < million.count {
            let end = min(offset + size, million.count)
            hasher.update(million[offset..<end])
            offset = end
        }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

private extension LazySequence where Base == [Int] {
    /// The sizes over and over, enough to cover `total` bytes.
    func cycled(to total: Int) -> [Int] {
        var result: [Int] = []
        var sum = 0
        while sum < total { for size in elements { result.append(size); sum += size } }
        return result
    }
}

@Suite struct SecretTests {
    @Test("a literal secret's value does not show when the model is printed or dumped")
    func redacted() {
        let secret = Secret(name: "token", source: .literal("hunter2-value"))
        var dumped = ""
        dump(secret, to: &dumped)
        for text in ["\(secret)", String(describing: secret), String(reflecting: secret), dumped] {
            #expect(!text.contains("hunter2-value"), "\(text)")
        }
    }
}
