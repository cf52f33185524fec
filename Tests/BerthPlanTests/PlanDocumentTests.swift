import Foundation
import Testing
import BerthPlan

/// A saved plan that is not one is refused in a line a person reads, by the path of what is wrong.
extension PlanDocumentTests {
    @Test("not JSON, a missing key, a value of the wrong type", arguments: [
        ("nope", "it is not JSON"),
        ("{}", "format_version is missing"),
        (#"{"format_version":"1","project":"x","environment":"dev","fingerprint":"f","problems":[],"actions":[{"id":3}]}"#, "actions[0]."),
        (#"{"format_version":1,"project":"x","environment":"dev","fingerprint":"f","problems":[],"actions":[]}"#, "format_version has a value of the wrong type"),
    ])
    func refused(text: String, says: String) {
        let error = #expect(throws: PlanDocumentError.self) { try PlanDocument.decode(Data(text.utf8)) }
        #expect(error?.message.hasPrefix("it is not a plan that berth plan --out saved: ") == true)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("DecodingError") == false)
    }
}
