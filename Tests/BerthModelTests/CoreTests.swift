import Testing
import BerthCore
import BerthModel

@Suite struct CoreTests {
    @Test("durations become whole units, rounded down, and short texts")
    func durations() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.nanoseconds(1_999_999).wholeMilliseconds == 1)
        #expect(Duration.nanoseconds(1_999_999).millisecondsRoundedUp == 2)
        #expect(Duration.milliseconds(2).millisecondsRoundedUp == 2)
        #expect(Duration.seconds(5).wholeNanoseconds == 5_000_000_000)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Duration.milliseconds(250).shortDescription == "250ms")
        #expect(Duration.milliseconds(1500).shortDescription == "1.5s")
        #expect(Duration.seconds(30).shortDescription == "30s")
        #expect(Duration.milliseconds(1500).seconds == 1.5)
    }

    @Test("a file name that is not UTF-8 text is shown with each stray byte as \\xHH, and the rest as it is")
    func fileNames() {
        #expect(FileName(bytes: Array("d".utf8) + [0xFF] + Array("v.yaml".utf8)).description == #"d\xFFv.yaml"#)
        #expect(FileName(bytes: Array("d".utf8) + [0xFF] + Array("v.yaml".utf8)).text == nil)
        #expect(FileName("café.conf").description == "café.conf")
        #expect(FileName("café.conf").text == "café.conf")
        // Latin-1 é, a cut sequence, an overlong '/', a surrogate: each byte that is not UTF-8 escaped, é kept.
        #expect(FileName(bytes: [0x63, 0xE9, 0x2E, 0xE2, 0x82, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xC3, 0xA9]).description
            == #"c\xE9.\xE2\x82\xC0\xAF\xED\xA0\x80é"#)
        #expect(FileName(bytes: [0x61, 0xFF]) < FileName(bytes: [0x62]))
    }

    @Test("topological order: dependencies first, ties by the given order, cycles named apart")
    func topological() {
        // 0 <- 1 <- 2, 3 alone; 4 <-> 5 a cycle.
        let dependencies = [[], [0], [1], [], [5], [4]]
        let (order, cyclic) = TopologicalOrder.sort(
            count: 6, dependencies: { dependencies[$0] }, before: { (a: Int, b: Int) -> Bool in a > b }
        )
        #expect(order == [3, 0, 1, 2])
        #expect(cyclic == [4, 5])
    }

    @Test("the test clock moves only when slept on, and counts every sleep")
    func testClock() async throws {
        let clock = TestClock()
        let start = clock.now
        try await clock.sleep(for: .seconds(60))
        clock.sleepBlocking(for: .seconds(1))
        #expect(clock.elapsed == .seconds(61))
        #expect(clock.now.timeIntervalSince(start) == 61)
        #expect(clock.sleeps == [.seconds(60), .seconds(1)])
    }

    @Test("blocking work runs off the cooperative pool and hands back its result or its error")
    func blocking() async throws {
        struct Refused: Error {}
        let value = await Blocking.run { () -> Int in 42 }
        #expect(value == 42)
        await #expect(throws: Refused.self) { try await Blocking.run { () throws(Refused) -> Int in throw Refused() } }
    }
}

@Suite struct RecordedSpecTests {
    @Test("the berth.spec label is compact JSON with sorted keys that reads back to the same values")
    func roundTrip() throws {
        let spec = RecordedSpec(
            image: "localhost/web:1", command: ["sh", "-c", "echo \"hi\"\n"],
            environment: ["B": "2", "A": "x=y", "TOKEN": "(sensitive) 1234abcd"], ports: ["127.0.0.1:8080:80"]
        )
        #expect(spec.label == #"{"command":["sh","-c","echo \"hi\"\n"],"environment":{"A":"x=y","B":"2","TOKEN":"(sensitive) 1234abcd"},"image":"localhost/web:1","ports":["127.0.0.1:8080:80"]}"#)
        #expect(RecordedSpec.parse(spec.label) == spec)
        let imageDefault = RecordedSpec(image: "i", command: nil, environment: [:], ports: [])
        #expect(RecordedSpec.parse(imageDefault.label) == imageDefault)
        #expect(RecordedSpec.parse("not json") == nil)
        #expect(RecordedSpec.shown("(sensitive) 1234abcd") == "(sensitive)")
    }
}

@Suite struct DiagnosticTests {
    @Test("what a message echoes cannot forge a line or colour a terminal")
    func printable() {
        #expect(Diagnostic.printable("plain, é, 🚢") == "plain, é, 🚢")
        #expect(Diagnostic.printable("\u{1B}[31mred\nx: error: forged\u{2028}\u{202E}") == #"\u{1B}[31mred\u{A}x: error: forged\u{2028}\u{202E}"#)
        let evil = Diagnostic.error(at: SourceLocation(file: "env\n.yaml", line: 2, column: 3), "unknown key '\u{1B}[2J'")
        #expect(evil.description == #"env\u{A}.yaml:2:3: error: unknown key '\u{1B}[2J'"#)
    }

    @Test("a long value echoed in a message is cut to its start, and so is a very long message")
    func readable() {
        let long = String(repeating: "a", count: 5000)
        let message = Diagnostic.readable("services.web.image: '\(long)' is not an image reference")
        #expect(message == "services.web.image: '\(String(repeating: "a", count: 100))… (5000 characters)' is not an image reference")
        #expect(Diagnostic.readable("x 'short' y") == "x 'short' y")
        #expect(Diagnostic.readable(String(repeating: "b ", count: 2000)).hasSuffix("… (2000 more characters)"))
    }

    @Test("at most so many diagnostics a file, then how many more")
    func capped() {
        let many = (1...250).map { Diagnostic.error(at: SourceLocation(file: "a.yaml", line: $0, column: 1), "e") }
            + [Diagnostic.error(at: SourceLocation(file: "b.yaml", line: 1, column: 1), "e")]
        let (shown, more) = many.capped(perFile: 100)
        #expect(shown.count == 101)
        #expect(shown.last?.location.file == "b.yaml")
        #expect(more.map(\.file) == ["a.yaml"] && more.map(\.count) == [150])
    }
}
