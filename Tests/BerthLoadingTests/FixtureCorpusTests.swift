import Testing
import Foundation
import BerthYAML
import BerthLoading
import BerthTestSupport

/// Every malformed fixture under `Tests/Fixtures/invalid/` gives exactly the diagnostics its
/// markers and `expect.txt` say: the right file, line, column, severity and message, and no others.
@Suite struct FixtureCorpusTests {
    static let names = MarkedFixture.names()

    @Test("the corpus holds at least 30 malformed projects")
    func corpusSize() {
        #expect(Self.names.count >= 30)
    }

    @Test("each fixture reports every marked diagnostic and nothing else", arguments: names)
    func fixture(_ name: String) throws {
        let fixture = try MarkedFixture(directory: MarkedFixture.corpusDirectory + "/" + name)
        let root = try fixture.write()
        defer { try? FileManager.default.removeItem(atPath: root) }

        let loader = ProjectLoader(project: ".", currentDirectory: root, variables: [:])
        let results = try loader.loadAll()
        let diagnostics = results.flatMap(\.diagnostics).normalized()

        #expect(diagnostics.hasErrors, "a malformed fixture must fail")
        var expectedPlaces: Set<String> = []
        for expectation in fixture.expectations {
            let mark = try #require(fixture.marks[expectation.marker])
            let place = "\(mark): \(expectation.severity)"
            expectedPlaces.insert(place)
            let found = diagnostics.contains {
                "\($0.location): \($0.severity.rawValue)" == place && $0.message.contains(expectation.message)
            }
            #expect(found, "expected \(place): …\(expectation.message)…; got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        }
        for diagnostic in diagnostics where !expectedPlaces.contains("\(diagnostic.location): \(diagnostic.severity.rawValue)") {
            Issue.record("unexpected diagnostic: \(diagnostic)")
        }
    }
}
