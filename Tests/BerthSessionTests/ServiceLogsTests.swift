import Testing
@testable import BerthSession

/// What `berth logs` hides: every secret value, and each line of one that spans lines.
@Suite struct ServiceLogsTests {
    @Test("a value that spans lines is hidden a line at a time, as the output is masked")
    func multilineSecret() {
        let key = "-----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END KEY-----"
        let mask = ServiceLogs.secretMask(["token-4711", key])
        #expect(mask.mask("token is token-4711") == "token is (sensitive)")
        #expect(mask.mask("MIIEvQIBADANBgkqhkiG9w0B") == "(sensitive)")
        #expect(mask.mask("key: -----BEGIN KEY-----") == "key: (sensitive)")
        #expect(mask.mask("AQEFAASCBKcwggSjAgEAAoIB trailing") == "(sensitive) trailing")
        #expect(mask.mask("nothing secret") == "nothing secret")
    }
}
