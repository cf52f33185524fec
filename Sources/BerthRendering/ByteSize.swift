/// A size for people: `812 bytes`, `4.1 KiB`, `10.2 MiB`, `3.4 GiB`.
enum ByteSize {
    static func text(_ bytes: Int) -> String {
        guard bytes >= 1024 else { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return "\((value * 10).rounded() / 10) \(unit)" }
            value /= 1024
        }
        return "\(bytes) bytes"
    }
}
