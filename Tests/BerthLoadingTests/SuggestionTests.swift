import Testing
@testable import BerthLoading

/// "Did you mean ...?": the nearest name within a few edits, and a cost that stays small whatever the input.
@Suite struct SuggestionTests {
    @Test("the nearest candidate within the limit, the first of equals, whatever the case")
    func nearest() {
        #expect(Suggestion.closest(to: "imgae", in: ["command", "image", "labels"]) == "image")
        #expect(Suggestion.closest(to: "IMAGE", in: ["image"]) == "image")
        #expect(Suggestion.closest(to: "G", in: ["A", "B"]) == "A")
        #expect(Suggestion.closest(to: "servce", in: ["services", "service"]) == "service")
        #expect(Suggestion.closest(to: "stagign", in: ["dev", "staging"]) == "staging")
        #expect(Suggestion.closest(to: "web", in: ["worker", "database"]) == nil)
        #expect(Suggestion.didYouMean("secrt", in: ["secret"]) == "; did you mean 'secret'?")
        #expect(Suggestion.didYouMean("x", in: [String]()) == "")
    }

    @Test("no suggestion among more names than a person reads through, or for a word no name is as long as")
    func bounded() {
        let many = (0..<Suggestion.candidateLimit).map { "svc-\($0)" }
        #expect(Suggestion.closest(to: "svc-7x", in: many) == "svc-7")
        #expect(Suggestion.closest(to: "svc-7x", in: many + ["svc-7y"]) == nil)
        let long = String(repeating: "a", count: Suggestion.wordLimit)
        #expect(Suggestion.closest(to: long + "b", in: [long]) == nil)
        #expect(Suggestion.closest(to: long.dropLast() + "b", in: [long]) == long)
    }

    @Test("the edit distance, and a result over the bound as soon as it is passed")
    func distance() {
        func distance(_ a: String, _ b: String, atMost bound: Int = .max) -> Int {
            Suggestion.editDistance(Array(a.utf8), Array(b.utf8), atMost: bound)
        }
        #expect(distance("kitten", "sitting") == 3)
        // Two neighbours swapped are one edit, so the swap wins over another word two letters away.
        #expect(distance("destory", "destroy") == 1)
        #expect(distance("ab", "ba") == 1)
        #expect(distance("ca", "abc") == 3)
        #expect(Suggestion.closest(to: "destory", in: ["history", "destroy"]) == "destroy")
        #expect(distance("", "abc") == 3)
        #expect(distance("abc", "abc") == 0)
        #expect(distance("gone-0001", "svc-0001") == 4)
        #expect(distance("gone-0001", "svc-0001", atMost: 1) > 1)
        #expect(distance(String(repeating: "a", count: 50), String(repeating: "b", count: 50), atMost: 3) == 4)
    }
}
