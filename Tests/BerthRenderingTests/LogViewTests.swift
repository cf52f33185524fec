import Testing
import BerthRendering

/// How `berth logs` prints a line: aligned labels with several containers, coloured only when asked.
@Suite struct LogViewTests {
    @Test("several containers: each label padded to the longest, then ' | '; colour only on a terminal")
    func prefixes() {
        let plain = LogView(sources: ["web-9", "web-10"], style: .init(color: false))
        #expect(plain.line(source: "web-9", text: "up") == "web-9  | up\n")
        #expect(plain.line(source: "web-10", text: "") == "web-10 | \n")
        let colored = LogView(sources: ["web-9", "web-10"], style: .init(color: true))
        #expect(colored.line(source: "web-9", text: "up") == "\u{1B}[36mweb-9  |\u{1B}[0m up\n")
        #expect(colored.line(source: "web-10", text: "up") == "\u{1B}[33mweb-10 |\u{1B}[0m up\n")
    }

    @Test("one container: the line alone")
    func single() {
        #expect(LogView(sources: ["web-1"], style: .init(color: true)).line(source: "web-1", text: "up") == "up\n")
    }
}
