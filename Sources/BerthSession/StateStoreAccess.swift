public import BerthApply

/// An environment's state store and its key, for the commands that read or repair the journal.
public enum StateStoreAccess {
    public static func open(_ name: String, context: Context) throws(SessionError) -> (store: any StateStore, key: String) {
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(name)
        // The store's own password, if any, is the only secret needed: a SQLite store needs none, so `history`
        // and `unlock` work even when the environment's other secrets are not set.
        var secrets: [String: String] = [:]
        if case .postgres(_, let password?) = environment.state.store {
            secrets = try pipeline.resolve(environment).secrets.filter { $0.key == password }
        }
        return (try context.stateStore(environment.state.store, secrets), ApplySession.key(environment))
    }
}
