/// Where the copies an apply takes before it changes something are kept, and for how long.
///
/// Files under `root` are mode 0600 and its folders 0700: a backup holds what the database and the
/// config files held, secrets included.
public struct BackupSettings: Hashable, Sendable, Codable {
    public static let defaultKeep = 10

    /// Absolute; the environment's own folder (by default `.berth/backups/ENV` in the project).
    public var root: String
    /// The files of the newest `keep` releases that took backups stay; older ones are deleted (their
    /// records stay in the releases). At least 1.
    public var keep: Int

    public init(root: String, keep: Int = BackupSettings.defaultKeep) {
        self.root = root
        self.keep = keep
    }
}
