import Testing
import Foundation
import BerthTestSupport

/// `berth parity` against what the engine runs: the example's staging applied for real, compared with
/// an environment that extends it and runs nothing.
@Suite(.enabled(if: LiveStaging.isEnabled, "needs BERTH_ENGINE and BERTH_TEST_POSTGRES_URL"))
struct ParityLiveTests {
    @Test("staging, applied, is in parity with a copy that declares the same; a newer image there is a difference, exit 2")
    func parity() async throws {
        try await LiveStaging.with("par") { staging in
            let cold = try await staging.run(["apply", "--env", "staging", "--yes"])
            #expect(cold.status == 0, "\(cold.stderr)")
            try staging.write("environments/mirror.yaml", "extends: staging\n")
            let same = try await staging.run(["parity", "--env", "staging", "--with", "mirror"])
            #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
            #expect(same.stdout == "staging and mirror are in parity.\n")

            try staging.write("environments/mirror.yaml", """
                extends: staging
                services:
                  web:
                    image: localhost/berth-example-web:1.1.0
                """)
            let behind = try await staging.run(["parity", "--env", "staging", "--with", "mirror", "--json"])
            #expect(behind.status == 2, "\(behind.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(behind.stdout.utf8)) as? [String: Any])
            let differences = try #require(json["differences"] as? [[String: String]])
            #expect(differences.map { "\($0["resource"] ?? "") \($0["kind"] ?? "")" } == ["service:web image"])
            #expect(differences.first?["detail"]?.contains("staging localhost/berth-example-web:1.0.0 (") == true, "\(differences)")
            for output in [same, behind] {
                #expect(!output.stdout.contains(staging.token) && !output.stderr.contains(staging.token))
            }
        }
    }
}
