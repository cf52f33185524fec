public import BerthDatabase
public import BerthModel
public import Foundation
import Synchronization

/// Berth's records in a SQL database, SQLite or PostgreSQL, in four tables: `berth_locks`,
/// `berth_applies`, `berth_apply_actions` and `berth_releases`. Times are integer milliseconds since 1970, so both
/// dialects store and compare them alike.
///
/// Taking a lock is atomic across processes: one upsert that only replaces a free or expired lease
/// (SQLite runs it inside `BEGIN IMMEDIATE`, PostgreSQL's `ON CONFLICT ... DO UPDATE ... WHERE`
/// decides on the latest row version). The store owns its connection and uses it for one call at a time.
public final class SQLStateStore: StateStore {
    /// The store's tables, which a backup of an application's database that also holds them leaves out.
    public static let tables = ["berth_locks", "berth_applies", "berth_apply_actions", "berth_releases"]

    public let dialect: SQLDialect
    /// The SQLite path or the PostgreSQL URL without a password: names the store in messages.
    public let location: String

    private let connection: Mutex<any SQLDatabase>

    /// Opens the store on `database`, creating its tables if needed. The store takes the connection
    /// over: it closes it in `close()`.
    public init(database: sending any SQLDatabase) throws(StateStoreError) {
        let dialect = database.dialect
        let location =
            switch database {
            case let sqlite as SQLiteDatabase: sqlite.path
            case let postgres as PostgresDatabase: postgres.redactedURL
            default: "a \(dialect) database"
            }
        try SQLSession(database: database, operation: .open, location: location).createTables()
        self.dialect = dialect
        self.location = location
        connection = Mutex(database)
    }

    /// Closes the connection; every later call throws `.unavailable`.
    public func close() {
        connection.withLock { $0.close() }
    }

    // MARK: - Locks

    public func acquireLock(
        environment: String, owner: LockOwner, lease: Duration, now: Date
    ) throws(StateStoreError) -> LockAttempt {
        try withSession(.acquireLock) { (session) throws(StateStoreError) -> LockAttempt in
            let start = Milliseconds.of(now)
            let end = try Milliseconds.expiry(of: lease, from: start, operation: .acquireLock)
            let p = session.placeholder
            // Between a refused upsert and the read of the holder, the holder may let go (PostgreSQL): try again.
            for _ in 0..<8 {
                let attempt = try session.transaction { (session) throws(StateStoreError) -> LockAttempt? in
                    let taken = try session.query(
                        """
                        INSERT INTO berth_locks (environment, owner_user, owner_host, owner_pid, acquired_at, expires_at)
                        VALUES (\(p(1)), \(p(2)), \(p(3)), \(p(4)), \(p(5)), \(p(6)))
                        ON CONFLICT (environment) DO UPDATE SET
                            owner_user = excluded.owner_user, owner_host = excluded.owner_host,
                            owner_pid = excluded.owner_pid,
                            acquired_at = CASE WHEN berth_locks.expires_at > excluded.acquired_at
                                THEN berth_locks.acquired_at ELSE excluded.acquired_at END,
                            expires_at = excluded.expires_at
                        WHERE berth_locks.expires_at <= excluded.acquired_at
                            OR (berth_locks.owner_user = excluded.owner_user
                                AND berth_locks.owner_host = excluded.owner_host
                                AND berth_locks.owner_pid = excluded.owner_pid)
                        RETURNING environment
                        """,
                        [.text(environment)] + Self.values(of: owner) + [.integer(start), .integer(end)]
                    )
                    if !taken.isEmpty { return .acquired }
                    return try session.holder(environment: environment, now: start).map { .held($0) }
                }
                if let attempt { return attempt }
            }
            throw StateStoreError(
                .busy, "\(location): the lock of \(environment) changed hands too often to be taken", operation: .acquireLock)
        }
    }

    public func renewLock(
        environment: String, owner: LockOwner, lease: Duration, now: Date
    ) throws(StateStoreError) -> Bool {
        try withSession(.renewLock) { (session) throws(StateStoreError) -> Bool in
            let end = try Milliseconds.expiry(of: lease, from: Milliseconds.of(now), operation: .renewLock)
            let p = session.placeholder
            let rows = try session.query(
                """
                UPDATE berth_locks SET expires_at = \(p(5))
                WHERE environment = \(p(1)) AND owner_user = \(p(2)) AND owner_host = \(p(3)) AND owner_pid = \(p(4))
                RETURNING environment
                """,
                [.text(environment)] + Self.values(of: owner) + [.integer(end)]
            )
            return !rows.isEmpty
        }
    }

    public func releaseLock(environment: String, owner: LockOwner) throws(StateStoreError) {
        try withSession(.releaseLock) { (session) throws(StateStoreError) in
            let p = session.placeholder
            _ = try session.query(
                """
                DELETE FROM berth_locks
                WHERE environment = \(p(1)) AND owner_user = \(p(2)) AND owner_host = \(p(3)) AND owner_pid = \(p(4))
                """,
                [.text(environment)] + Self.values(of: owner)
            )
        }
    }

    public func forceUnlock(
        environment: String, by owner: LockOwner, now: Date, ifHeldBy expected: LockOwner?
    ) throws(StateStoreError) -> LockHolder? {
        try withSession(.forceUnlock) { (session) throws(StateStoreError) -> LockHolder? in
            try session.transaction { (session) throws(StateStoreError) -> LockHolder? in
                let p = session.placeholder
                var condition = "environment = \(p(1))"
                var values: [SQLValue] = [.text(environment)]
                if let expected {
                    condition += " AND owner_user = \(p(2)) AND owner_host = \(p(3)) AND owner_pid = \(p(4))"
                    values += [.text(expected.user), .text(expected.host), .integer(Int64(expected.pid))]
                }
                let rows = try session.query(
                    """
                    DELETE FROM berth_locks WHERE \(condition)
                    RETURNING owner_user, owner_host, owner_pid, acquired_at, expires_at
                    """,
                    values
                )
                let removed = try rows.first.map { (row) throws(StateStoreError) -> LockHolder in try session.holder(row) }
                if expected != nil, removed == nil { return nil }
                let time = Milliseconds.date(Milliseconds.of(now))
                _ = try session.insertApply(
                    environment: environment, owner: owner, fingerprint: "", plan: "", status: .succeeded,
                    actions: [.forcedUnlock(environment: environment, removed: removed, at: time)],
                    startedAt: time, finishedAt: time
                )
                return removed
            }
        }
    }

    public func recordEvent(environment: String, by owner: LockOwner, now: Date, _ action: ActionRecord) throws(StateStoreError) {
        try withSession(.recordEvent) { (session) throws(StateStoreError) in
            let time = Milliseconds.date(Milliseconds.of(now))
            var action = action
            action.startedAt = time
            action.finishedAt = time
            _ = try session.insertApply(
                environment: environment, owner: owner, fingerprint: "", plan: "", status: .succeeded, actions: [action],
                startedAt: time, finishedAt: time
            )
        }
    }

    public func lockHolder(environment: String, now: Date) throws(StateStoreError) -> LockHolder? {
        try withSession(.lockHolder) { (session) throws(StateStoreError) -> LockHolder? in
            try session.holder(environment: environment, now: Milliseconds.of(now))
        }
    }

    // MARK: - Journal

    public func beginApply(
        environment: String, owner: LockOwner, fingerprint: String, plan: String, actions: [ActionRecord], now: Date
    ) throws(StateStoreError) -> Int64 {
        try checkDistinct(actions)
        return try withSession(.beginApply) { (session) throws(StateStoreError) -> Int64 in
            try session.transaction { (session) throws(StateStoreError) -> Int64 in
                try session.insertApply(
                    environment: environment, owner: owner, fingerprint: fingerprint, plan: plan, status: .running,
                    actions: actions, startedAt: now, finishedAt: nil
                )
            }
        }
    }

    public func updateAction(
        applyID: Int64, actionID: String, status: ActionStatus, detail: String, now: Date
    ) throws(StateStoreError) {
        try withSession(.updateAction) { (session) throws(StateStoreError) in
            let p = session.placeholder
            let times =
                switch status {
                case .pending: ""
                case .running: ", started_at = \(p(5)), finished_at = NULL"
                case .done, .failed, .undone, .skipped: ", finished_at = \(p(5))"
                }
            var values: [SQLValue] = [.integer(applyID), .text(actionID), .text(status.rawValue), .text(detail)]
            if status != .pending { values.append(.integer(Milliseconds.of(now))) }
            let rows = try session.query(
                """
                UPDATE berth_apply_actions SET status = \(p(3)), detail = \(p(4))\(times)
                WHERE apply_id = \(p(1)) AND action_id = \(p(2))
                RETURNING action_id
                """,
                values
            )
            guard rows.isEmpty else { return }
            guard try session.applyExists(applyID) else { throw session.noApply(applyID) }
            throw StateStoreError(.notFound, "apply \(applyID) has no action \(actionID)", operation: .updateAction)
        }
    }

    public func finishApply(applyID: Int64, status: ApplyStatus, now: Date) throws(StateStoreError) {
        guard status != .running else {
            throw StateStoreError(.invalidArgument, "an apply cannot finish as running", operation: .finishApply)
        }
        try withSession(.finishApply) { (session) throws(StateStoreError) in
            let p = session.placeholder
            let rows = try session.query(
                "UPDATE berth_applies SET status = \(p(2)), finished_at = \(p(3)) WHERE id = \(p(1)) RETURNING id",
                [.integer(applyID), .text(status.rawValue), .integer(Milliseconds.of(now))]
            )
            if rows.isEmpty { throw session.noApply(applyID) }
        }
    }

    public func history(environment: String, limit: Int) throws(StateStoreError) -> [ApplyRecord] {
        guard limit > 0 else { return [] }
        return try withSession(.history) { (session) throws(StateStoreError) -> [ApplyRecord] in
            let p = session.placeholder
            return try session.applies(
                where: "environment = \(p(1)) ORDER BY id DESC LIMIT \(p(2))",
                [.text(environment), .integer(Int64(clamping: limit))]
            )
        }
    }

    public func unfinishedApplies(environment: String) throws(StateStoreError) -> [ApplyRecord] {
        try withSession(.unfinishedApplies) { (session) throws(StateStoreError) -> [ApplyRecord] in
            let p = session.placeholder
            return try session.applies(
                where: "environment = \(p(1)) AND status = \(p(2)) ORDER BY id",
                [.text(environment), .text(ApplyStatus.running.rawValue)]
            )
        }
    }

    public func markInterrupted(applyID: Int64, now: Date) throws(StateStoreError) {
        try withSession(.markInterrupted) { (session) throws(StateStoreError) in
            let p = session.placeholder
            let rows = try session.query(
                """
                UPDATE berth_applies SET status = \(p(2)), finished_at = \(p(3))
                WHERE id = \(p(1)) AND status = \(p(4))
                RETURNING id
                """,
                [
                    .integer(applyID), .text(ApplyStatus.interrupted.rawValue), .integer(Milliseconds.of(now)),
                    .text(ApplyStatus.running.rawValue),
                ]
            )
            if rows.isEmpty, try !session.applyExists(applyID) { throw session.noApply(applyID) }
        }
    }

    public func plan(applyID: Int64) throws(StateStoreError) -> String? {
        try withSession(.plan) { (session) throws(StateStoreError) -> String? in
            let rows = try session.query("SELECT plan FROM berth_applies WHERE id = \(session.placeholder(1))", [.integer(applyID)])
            return rows.first?.string("plan")
        }
    }

    // MARK: - Releases

    public func recordRelease(environment: String, _ release: Release) throws(StateStoreError) -> Release {
        let manifest = try ReleaseColumns.encode(release.manifest, .recordRelease)
        let backups = try ReleaseColumns.encode(release.backups, .recordRelease)
        return try withSession(.recordRelease) { (session) throws(StateStoreError) -> Release in
            try session.transaction { (session) throws(StateStoreError) -> Release in
                let p = session.placeholder
                let last = try session.query(
                    "SELECT MAX(number) AS number FROM berth_releases WHERE environment = \(p(1))", [.text(environment)]
                ).first?.int("number") ?? 0
                let current = try session.query(
                    "SELECT number FROM berth_releases WHERE environment = \(p(1)) AND status = \(p(2)) ORDER BY number DESC",
                    [.text(environment), .text(ReleaseStatus.current.rawValue)]
                ).first?.int("number")
                var stored = release
                stored.number = Int(last) + 1
                stored.parent = current.map { Int($0) }
                stored.createdAt = Milliseconds.date(Milliseconds.of(release.createdAt))
                if release.status == .current {
                    _ = try session.query(
                        "UPDATE berth_releases SET status = \(p(1)) WHERE environment = \(p(2)) AND status = \(p(3))",
                        [.text(ReleaseStatus.superseded.rawValue), .text(environment), .text(ReleaseStatus.current.rawValue)]
                    )
                }
                let values: [SQLValue] = [
                    .text(environment), .integer(Int64(stored.number)), .text(stored.digest), .integer(Milliseconds.of(stored.createdAt)),
                    .text(stored.by), .text(stored.status.rawValue), stored.commit.map { .text($0) } ?? .null,
                    .integer(stored.dirty ? 1 : 0), stored.parent.map { .integer(Int64($0)) } ?? .null,
                    stored.applyID.map { .integer($0) } ?? .null, .text(stored.summary),
                    stored.rollbackTarget.map { .integer(Int64($0)) } ?? .null, stored.desiredDigest.map { .text($0) } ?? .null,
                    .text(manifest), .text(backups),
                    stored.environment.map { .text(String(decoding: $0, as: UTF8.self)) } ?? .null,
                ]
                _ = try session.query(
                    """
                    INSERT INTO berth_releases (environment, number, digest, created_at, created_by, status, git_commit, dirty,
                        parent, apply_id, summary, rollback_target, desired_digest, manifest, backups, environment_snapshot)
                    VALUES (\((1...values.count).map(p).joined(separator: ", ")))
                    """,
                    values
                )
                return stored
            }
        }
    }

    public func releases(environment: String, limit: Int) throws(StateStoreError) -> [Release] {
        guard limit > 0 else { return [] }
        return try withSession(.releases) { (session) throws(StateStoreError) -> [Release] in
            let p = session.placeholder
            return try session.query(
                """
                SELECT number, digest, created_at, created_by, status, git_commit, dirty, parent, apply_id, summary,
                    rollback_target, desired_digest, manifest, backups, environment_snapshot
                FROM berth_releases WHERE environment = \(p(1)) ORDER BY number DESC LIMIT \(p(2))
                """,
                [.text(environment), .integer(Int64(clamping: limit))]
            ).map { (row) throws(StateStoreError) -> Release in try session.release(row) }
        }
    }

    public func setReleaseStatus(environment: String, numbers: [Int], status: ReleaseStatus) throws(StateStoreError) {
        guard !numbers.isEmpty else { return }
        try withSession(.setReleaseStatus) { (session) throws(StateStoreError) in
            let p = session.placeholder
            let list = (0..<numbers.count).map { p($0 + 3) }.joined(separator: ", ")
            _ = try session.query(
                "UPDATE berth_releases SET status = \(p(1)) WHERE environment = \(p(2)) AND number IN (\(list))",
                [.text(status.rawValue), .text(environment)] + numbers.map { .integer(Int64($0)) }
            )
        }
    }

    // MARK: - Helpers

    private func withSession<T: Sendable>(
        _ operation: StateStoreOperation, _ body: (SQLSession) throws(StateStoreError) -> T
    ) throws(StateStoreError) -> T {
        let location = location
        return try connection.withLock { (database) throws(StateStoreError) -> T in
            try body(SQLSession(database: database, operation: operation, location: location))
        }
    }

    private func checkDistinct(_ actions: [ActionRecord]) throws(StateStoreError) {
        var seen = Set<String>()
        for action in actions where !seen.insert(action.actionID).inserted {
            throw StateStoreError(.invalidArgument, "two actions have the id \(action.actionID)", operation: .beginApply)
        }
    }

    static func values(of owner: LockOwner) -> [SQLValue] {
        [.text(owner.user), .text(owner.host), .integer(Int64(owner.pid))]
    }
}

/// The connection during one call of the store: statements whose failures become `StateStoreError`s.
private struct SQLSession {
    let database: any SQLDatabase
    let operation: StateStoreOperation
    let location: String

    func placeholder(_ index: Int) -> String { database.dialect.placeholder(index) }

    func query(_ sql: String, _ parameters: [SQLValue]) throws(StateStoreError) -> [SQLRow] {
        do throws(DatabaseError) {
            return try database.query(sql, parameters)
        } catch {
            throw failure(error)
        }
    }

    func execute(_ sql: String) throws(StateStoreError) {
        do throws(DatabaseError) {
            try database.execute(sql)
        } catch {
            throw failure(error)
        }
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` on SQLite): commits when it returns, rolls back when it throws.
    func transaction<T>(_ body: (SQLSession) throws(StateStoreError) -> T) throws(StateStoreError) -> T {
        do throws(DatabaseError) {
            try database.begin()
        } catch {
            throw failure(error)
        }
        do throws(StateStoreError) {
            let value = try body(self)
            do throws(DatabaseError) {
                try database.commit()
            } catch {
                throw failure(error)
            }
            return value
        } catch {
            // A COMMIT that failed on SQLite (busy) leaves the transaction open.
            try? database.rollback()
            throw error
        }
    }

    func failure(_ error: DatabaseError) -> StateStoreError {
        let code: StateStoreError.Code =
            switch error.code {
            case .busy: .busy
            case .connection, .closed: .unavailable
            default: .database
            }
        return StateStoreError(code, "the state store at \(location): \(error)", operation: operation, cause: error)
    }

    func corrupt(_ what: String) -> StateStoreError {
        StateStoreError(.corrupt, "the state store at \(location) holds \(what)", operation: operation)
    }

    func noApply(_ id: Int64) -> StateStoreError {
        StateStoreError(.notFound, "no apply has the id \(id)", operation: operation)
    }

    // MARK: Schema

    /// The tables, created once even when several processes open a new store at the same time.
    func createTables() throws(StateStoreError) {
        let id: String
        let serialise: String
        switch database.dialect {
        case .sqlite:
            id = "id INTEGER PRIMARY KEY AUTOINCREMENT"
            serialise = ""  // BEGIN IMMEDIATE already does
        case .postgres:
            id = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
            // Two CREATE TABLE IF NOT EXISTS of one table at once can fail on PostgreSQL.
            serialise = "SELECT pg_catalog.pg_advisory_xact_lock(7379520136397833473);"
        }
        try transaction { (session) throws(StateStoreError) in
            try session.execute(
                """
                \(serialise)
                CREATE TABLE IF NOT EXISTS berth_locks (
                    environment TEXT PRIMARY KEY,
                    owner_user TEXT NOT NULL,
                    owner_host TEXT NOT NULL,
                    owner_pid INTEGER NOT NULL,
                    acquired_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                );
                CREATE TABLE IF NOT EXISTS berth_applies (
                    \(id),
                    environment TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    finished_at BIGINT,
                    status TEXT NOT NULL,
                    owner_user TEXT NOT NULL,
                    owner_host TEXT NOT NULL,
                    owner_pid INTEGER NOT NULL,
                    plan_fingerprint TEXT NOT NULL,
                    plan TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS berth_applies_by_environment ON berth_applies (environment, id);
                CREATE TABLE IF NOT EXISTS berth_apply_actions (
                    apply_id BIGINT NOT NULL REFERENCES berth_applies (id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL,
                    action_id TEXT NOT NULL,
                    action_type TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    status TEXT NOT NULL,
                    started_at BIGINT,
                    finished_at BIGINT,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (apply_id, action_id)
                );
                CREATE TABLE IF NOT EXISTS berth_releases (
                    environment TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    created_by TEXT NOT NULL,
                    status TEXT NOT NULL,
                    git_commit TEXT,
                    dirty INTEGER NOT NULL,
                    parent INTEGER,
                    apply_id BIGINT,
                    summary TEXT NOT NULL,
                    rollback_target INTEGER,
                    desired_digest TEXT,
                    manifest TEXT NOT NULL,
                    backups TEXT NOT NULL,
                    environment_snapshot TEXT,
                    PRIMARY KEY (environment, number)
                );
                """
            )
        }
    }

    // MARK: Locks

    /// The holder of `environment`'s lock whose lease runs past `now`.
    func holder(environment: String, now: Int64) throws(StateStoreError) -> LockHolder? {
        let p = placeholder
        let rows = try query(
            """
            SELECT owner_user, owner_host, owner_pid, acquired_at, expires_at FROM berth_locks
            WHERE environment = \(p(1)) AND expires_at > \(p(2))
            """,
            [.text(environment), .integer(now)]
        )
        guard let row = rows.first else { return nil }
        return try holder(row)
    }

    func holder(_ row: SQLRow) throws(StateStoreError) -> LockHolder {
        guard let acquired = row.int("acquired_at"), let expires = row.int("expires_at") else {
            throw corrupt("a lock without times")
        }
        return LockHolder(owner: try owner(row), acquiredAt: Milliseconds.date(acquired), expiresAt: Milliseconds.date(expires))
    }

    func owner(_ row: SQLRow) throws(StateStoreError) -> LockOwner {
        guard let user = row.string("owner_user"), let host = row.string("owner_host"),
            let pid = row.int("owner_pid").flatMap({ Int32(exactly: $0) })
        else { throw corrupt("an owner without user, host or pid") }
        return LockOwner(user: user, host: host, pid: pid)
    }

    // MARK: Journal

    /// Inserts an apply and its actions (in one transaction opened by the caller); returns its id.
    func insertApply(
        environment: String, owner: LockOwner, fingerprint: String, plan: String, status: ApplyStatus,
        actions: [ActionRecord], startedAt: Date, finishedAt: Date?
    ) throws(StateStoreError) -> Int64 {
        let p = placeholder
        let rows = try query(
            """
            INSERT INTO berth_applies
                (environment, started_at, finished_at, status, owner_user, owner_host, owner_pid, plan_fingerprint, plan)
            VALUES (\((1...9).map(p).joined(separator: ", ")))
            RETURNING id
            """,
            [
                .text(environment), .integer(Milliseconds.of(startedAt)), Self.time(finishedAt), .text(status.rawValue),
            ] + SQLStateStore.values(of: owner) + [.text(fingerprint), .text(plan)]
        )
        guard let id = rows.first?.int("id") else { throw corrupt("an apply without an id") }

        // Many rows per statement, well below either database's limit of parameters.
        let columns = 9
        let rowsPerStatement = 50
        var start = 0
        while start < actions.count {
            let chunk = actions[start..<min(start + rowsPerStatement, actions.count)]
            var values: [SQLValue] = []
            var tuples: [String] = []
            for (offset, action) in zip(chunk.indices, chunk) {
                let first = values.count
                tuples.append("(" + (1...columns).map { p(first + $0) }.joined(separator: ", ") + ")")
                values += [
                    .integer(id), .integer(Int64(offset)), .text(action.actionID), .text(action.type), .text(action.resource),
                    .text(action.status.rawValue), Self.time(action.startedAt), Self.time(action.finishedAt),
                    .text(action.detail),
                ]
            }
            _ = try query(
                """
                INSERT INTO berth_apply_actions
                    (apply_id, ordinal, action_id, action_type, resource, status, started_at, finished_at, detail)
                VALUES \(tuples.joined(separator: ", "))
                """,
                values
            )
            start = chunk.endIndex
        }
        return id
    }

    func applyExists(_ id: Int64) throws(StateStoreError) -> Bool {
        try !query("SELECT id FROM berth_applies WHERE id = \(placeholder(1))", [.integer(id)]).isEmpty
    }

    /// The applies `SELECT ... FROM berth_applies WHERE <condition>` finds, in its order, with their actions.
    func applies(where condition: String, _ parameters: [SQLValue]) throws(StateStoreError) -> [ApplyRecord] {
        let applyColumns =
            "id, environment, started_at, finished_at, status, owner_user, owner_host, owner_pid, plan_fingerprint"
        var records = try query("SELECT \(applyColumns) FROM berth_applies WHERE \(condition)", parameters).map {
            (row) throws(StateStoreError) -> ApplyRecord in try apply(row)
        }
        guard !records.isEmpty else { return [] }
        let actionRows = try query(
            """
            SELECT apply_id, action_id, action_type, resource, status, started_at, finished_at, detail
            FROM berth_apply_actions
            WHERE apply_id IN (SELECT id FROM berth_applies WHERE \(condition))
            ORDER BY apply_id, ordinal
            """,
            parameters
        )
        var actions: [Int64: [ActionRecord]] = [:]
        for row in actionRows {
            guard let applyID = row.int("apply_id") else { throw corrupt("an action without its apply") }
            actions[applyID, default: []].append(try action(row))
        }
        for index in records.indices {
            records[index].actions = actions[records[index].id] ?? []
        }
        return records
    }

    func apply(_ row: SQLRow) throws(StateStoreError) -> ApplyRecord {
        guard let id = row.int("id"), let environment = row.string("environment"), let started = row.int("started_at"),
            let fingerprint = row.string("plan_fingerprint"), let statusText = row.string("status")
        else { throw corrupt("an apply with a missing column") }
        guard let status = ApplyStatus(rawValue: statusText) else {
            throw corrupt("apply \(id) with the unknown status \(statusText)")
        }
        return ApplyRecord(
            id: id, environment: environment, startedAt: Milliseconds.date(started),
            finishedAt: row.int("finished_at").map(Milliseconds.date), status: status, owner: try owner(row),
            planFingerprint: fingerprint, actions: []
        )
    }

    func action(_ row: SQLRow) throws(StateStoreError) -> ActionRecord {
        guard let id = row.string("action_id"), let type = row.string("action_type"), let resource = row.string("resource"),
            let statusText = row.string("status"), let detail = row.string("detail")
        else { throw corrupt("an action with a missing column") }
        guard let status = ActionStatus(rawValue: statusText) else {
            throw corrupt("action \(id) with the unknown status \(statusText)")
        }
        return ActionRecord(
            actionID: id, type: type, resource: resource, status: status,
            startedAt: row.int("started_at").map(Milliseconds.date), finishedAt: row.int("finished_at").map(Milliseconds.date),
            detail: detail
        )
    }

    // MARK: Releases

    func release(_ row: SQLRow) throws(StateStoreError) -> Release {
        guard let number = row.int("number"), let digest = row.string("digest"), let created = row.int("created_at"),
            let by = row.string("created_by"), let statusText = row.string("status"), let summary = row.string("summary"),
            let manifest = row.string("manifest"), let backups = row.string("backups")
        else { throw corrupt("a release with a missing column") }
        guard let status = ReleaseStatus(rawValue: statusText) else { throw corrupt("release \(number) with the unknown status \(statusText)") }
        return Release(
            number: Int(number), digest: digest, createdAt: Milliseconds.date(created), by: by, status: status,
            commit: row.string("git_commit"), dirty: (row.int("dirty") ?? 0) != 0, parent: row.int("parent").map { Int($0) },
            applyID: row.int("apply_id"), summary: summary, rollbackTarget: row.int("rollback_target").map { Int($0) },
            desiredDigest: row.string("desired_digest"),
            manifest: try ReleaseColumns.decode(ReleaseManifest.self, manifest, operation),
            backups: try ReleaseColumns.decode([Backup].self, backups, operation),
            environment: row.string("environment_snapshot").map { Data($0.utf8) }
        )
    }

    static func time(_ date: Date?) -> SQLValue {
        date.map { .integer(Milliseconds.of($0)) } ?? .null
    }
}
