/// Placeholder until the real diff lands.
public enum UnifiedDiff {
    public static func lines(old: String, new: String, context: Int = 3, maxLines: Int = 200) -> [String] {
        old == new ? [] : old.split(separator: "\n").map { "-" + $0 } + new.split(separator: "\n").map { "+" + $0 }
    }
}
