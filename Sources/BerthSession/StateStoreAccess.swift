public import BerthApply

/// An environment's state store and its key, for the commands that read or repair the journal.
public enum StateStoreAccess {
    public static func open(_ name: String, context: Context) throws(SessionError) -> (store: any StateStore, key: String) {
        let pipeline = Pipeline(context)
        let environment = try pipeline.load(name)
        // The store's own password, if any, is the only secret needed here.
        let resolution = try pipeline.resolve(environment)
        return (try context.stateStore(environment.state.store, resolution.secrets), ApplySession.key(environment))
    }
}
