import Testing
import BerthLoading
import BerthCore

/// The old text of a config file, made safe to show in a plan's diff.
@Suite struct ConfigTextTests {
    @Test("lines the new content has, and keys it gives a plain value, are shown; anything else keeps only its key")
    func maskOld() {
        let new = "# header\nLEVEL=trace\nAPI_TOKEN=(sensitive)\nname: shop\n"
        let old = "# header\nLEVEL=info\nTOKEN=rotated-secret-value\nDEBUG=1\nname: old-shop\nfree text\n"
        #expect(ConfigText.maskOld(old, new: new) == "# header\nLEVEL=info\n(sensitive)\n(sensitive)\nname: old-shop\n(sensitive)\n")
        // A line of an old secret (base64 ending in '=') looks like a key: it is masked whole, not shown as one.
        #expect(ConfigText.maskOld("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA=\n", new: "LEVEL=info\n") == "(sensitive)\n")
    }

    @Test("a key whose value was a secret, or whose name looks like one, never shows its old value")
    func secretKeys() {
        // Once a secret, now a literal: the name gives it away.
        #expect(ConfigText.maskOld("DB_PASSWORD=old-secret\n", new: "DB_PASSWORD=now-literal\n") == "DB_PASSWORD=(sensitive)\n")
        // Still a secret, under the same key.
        #expect(ConfigText.maskOld("PIN=42\n", new: "PIN=(sensitive)\n") == "PIN=(sensitive)\n")
        // Unchanged lines stay as they are, secrets or not, since the new content shows them masked already.
        #expect(ConfigText.maskOld("A=(sensitive)\n", new: "A=(sensitive)\n") == "A=(sensitive)\n")
    }
}

@Suite struct ResolverTests {
    @Test("a secret file that is not UTF-8 is refused, naming the file, instead of being changed silently")
    func nonUTF8Secret() throws {
        var files = InMemoryFileSystem(files: [
            "/p/environments/dev.yaml": """
                project: shop
                secrets:
                  token: { file: /run/secrets/token }
                """,
        ])
        files.files["/run/secrets/token"] = [0x73, 0x65, 0xFF, 0xFE, 0x0A]
        let environment = try #require(try ProjectLoader(project: ".", currentDirectory: "/p", fileSystem: files).load("dev").environment)
        let error = #expect(throws: ResolveError.self) { try DesiredStateResolver(fileSystem: files, variables: [:]).resolve(environment) }
        #expect(error?.problems == ["secret token: /run/secrets/token is not UTF-8 text"])
    }
}
