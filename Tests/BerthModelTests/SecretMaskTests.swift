import Testing
import BerthModel

@Suite struct SecretMaskTests {
    static let template = """
        # app settings
        API_TOKEN={{ api_token }}
        DATABASE_URL=postgres://{{ db_user }}:{{ db_password }}@db/app
        LOG_LEVEL={{ log_level }}
        auth:
          password: {{ db_password }}
          other: {{ api_token }} and {{ api_token }}

        """

    @Test("prefixes are the literal text before each line's first secret placeholder, cut at an earlier placeholder")
    func prefixesFromTemplate() {
        let found = SecretMask.linePrefixes(template: Self.template, secretPlaceholders: ["api_token", "db_password"])
        #expect(found.prefixes == ["API_TOKEN=", "DATABASE_URL=postgres://", "  password: ", "  other: "])
        #expect(found.hasBarePlaceholder == false)
    }

    @Test("a secret placeholder that starts a line, after blanks or after another placeholder, is bare", arguments: [
        "{{ key }}\n", "  {{key}}\n", "\t{{ key }} trailing\n", "{{ user }}:{{ key }}\n",
    ])
    func barePlaceholder(_ template: String) {
        let found = SecretMask.linePrefixes(template: "name: x\n" + template, secretPlaceholders: ["key"])
        #expect(found.prefixes.isEmpty)
        #expect(found.hasBarePlaceholder)
    }

    @Test("placeholders that are not secrets make no prefix; the placeholder syntax allows tight braces")
    func nonSecretPlaceholders() {
        let found = SecretMask.linePrefixes(template: "A={{ a }}\nB={{b}}\nC={{\tc\t}}\n", secretPlaceholders: ["b", "c"])
        #expect(found.prefixes == ["B=", "C="])
        #expect(!found.hasBarePlaceholder)
        #expect(SecretMask.linePrefixes(template: "", secretPlaceholders: ["b"]).prefixes.isEmpty)
    }

    @Test("a rotated secret in the old text is masked by its line prefix")
    func rotatedValueByPrefix() {
        let mask = SecretMask(values: ["new-token-123"], linePrefixes: ["API_TOKEN=", "  password: "])
        let old = "# app\nAPI_TOKEN=old-rotated-value\nauth:\n  password: hunter2-old\nLOG_LEVEL=info\n"
        #expect(mask.mask(old) == "# app\nAPI_TOKEN=(sensitive)\nauth:\n  password: (sensitive)\nLOG_LEVEL=info\n")
        #expect(mask.mask("API_TOKEN=new-token-123\n") == "API_TOKEN=(sensitive)\n")
    }

    @Test("a known value is masked anywhere, every time it appears")
    func knownValueAnywhere() {
        let mask = SecretMask(values: ["s3cr3t"], linePrefixes: [])
        #expect(mask.mask("url=https://u:s3cr3t@host/?k=s3cr3t\ns3cr3t\n") == "url=https://u:(sensitive)@host/?k=(sensitive)\n(sensitive)\n")
        #expect(mask.mask("xs3cr3ts3cr3tx") == "x(sensitive)(sensitive)x")
    }

    @Test("where values overlap the longest wins, and a placeholder already written is not searched again")
    func overlappingValues() {
        let mask = SecretMask(values: ["abc", "abcdef", "sit", "def"], linePrefixes: [])
        #expect(mask.values == ["abcdef", "sit", "def", "abc"])
        #expect(mask.mask("1abcdef2 abc3 def4 abcde") == "1(sensitive)2 (sensitive)3 (sensitive)4 (sensitive)de")
        #expect(!mask.mask("abcdef").contains("(sen(sensitive)ive)"))
        #expect(mask.mask("abcdef") == "(sensitive)")
    }

    @Test("values shorter than 3 characters are not masked")
    func shortValuesIgnored() {
        let mask = SecretMask(values: ["a", "xy", "", "é1"], linePrefixes: [""])
        #expect(mask.values.isEmpty)
        #expect(mask.linePrefixes.isEmpty)
        let text = "a xy é1\nplain\n"
        #expect(mask.mask(text) == text)
    }

    @Test("a value that spans lines is masked whole")
    func multiLineValue() {
        let key = "-----BEGIN KEY-----\nMIIBVwIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----"
        let mask = SecretMask(values: [key], linePrefixes: [])
        let masked = mask.mask("tls:\n  key: |\n" + key + "\nport: 443\n")
        #expect(masked == "tls:\n  key: |\n(sensitive)\nport: 443\n")
    }

    @Test("nothing but secrets changes: other lines, blank lines, carriage returns and the final newline stay", arguments: [
        ("", ""), ("\n", "\n"), ("plain", "plain"), ("plain\n", "plain\n"), ("a\n\n\nb", "a\n\n\nb"),
        ("k=v\r\nAPI_TOKEN=xyz\r\n", "k=v\r\nAPI_TOKEN=(sensitive)\r\n"), ("ünïcödé line\n", "ünïcödé line\n"),
        ("x API_TOKEN=y\nAPI_TOKEN=\n", "x API_TOKEN=y\nAPI_TOKEN=(sensitive)\n"),
    ])
    func nothingElseChanges(_ text: String, _ expected: String) {
        let mask = SecretMask(values: ["never-here"], linePrefixes: ["API_TOKEN="])
        #expect(mask.mask(text) == expected)
    }

    @Test("with a bare placeholder, old lines not among the new content's masked lines are masked whole")
    func linesNotInNewContent() {
        let template = "# key\n{{ key }}\nmode: {{ mode }}\n"
        let found = SecretMask.linePrefixes(template: template, secretPlaceholders: ["key"])
        #expect(found.prefixes.isEmpty && found.hasBarePlaceholder)
        let mask = SecretMask(values: ["current-key-value"], linePrefixes: found.prefixes)
        let new = "# key\ncurrent-key-value\nmode: fast\n"
        let old = "# key\nrotated-key-value\nmode: slow\n"
        #expect(mask.mask(new) == "# key\n(sensitive)\nmode: fast\n")
        let oldMask = mask.maskingLinesAbsent(from: new)
        #expect(oldMask.maskEveryLineNotIn == ["# key", "(sensitive)", "mode: fast"])
        #expect(oldMask.mask(old) == "# key\n(sensitive)\n(sensitive)\n")
        #expect(oldMask.mask(new) == mask.mask(new))
        let explicit = SecretMask(values: [], linePrefixes: [], maskEveryLineNotIn: ["kept"])
        #expect(explicit.mask("kept\ngone\n\nkept") == "kept\n(sensitive)\n(sensitive)\nkept")
    }

    @Test("no secret string, known or rotated, survives in the masked old and new texts")
    func secretsNeverInOutput() {
        let template = Self.template
        let secrets = ["api_token", "db_password"]
        let found = SecretMask.linePrefixes(template: template, secretPlaceholders: Set(secrets))
        let newValues = ["api_token": "tok_NEW_9f8e7d", "db_password": "pw-NEW-5551212", "db_user": "app", "log_level": "info"]
        let oldValues = ["api_token": "tok_OLD_1a2b3c", "db_password": "pw-OLD-0000000", "db_user": "app", "log_level": "debug"]
        func render(_ values: [String: String]) -> String {
            values.reduce(template) { text, pair in
                text.replacing("{{ \(pair.key) }}", with: pair.value)
            }
        }
        let mask = SecretMask(values: secrets.compactMap { newValues[$0] }, linePrefixes: found.prefixes)
        let maskedNew = mask.mask(render(newValues)), maskedOld = mask.mask(render(oldValues))
        for secret in ["tok_NEW_9f8e7d", "pw-NEW-5551212", "tok_OLD_1a2b3c", "pw-OLD-0000000", "NEW", "OLD"] {
            #expect(!maskedNew.contains(secret), "\(secret) in \(maskedNew)")
            #expect(!maskedOld.contains(secret), "\(secret) in \(maskedOld)")
        }
        #expect(maskedOld.contains("LOG_LEVEL=debug"))
        #expect(maskedNew.contains("LOG_LEVEL=info"))
        #expect(maskedNew.contains("# app settings"))
    }
}
