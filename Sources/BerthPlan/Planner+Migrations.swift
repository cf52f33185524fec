import BerthCore
import BerthModel

extension PlanBuilder {
    /// Pending migrations, in version order, each after the last; a migration changed after it was
    /// applied is a problem that stops the plan, never a step.
    mutating func planMigrations() {
        let migrations = desired.environment.database?.migrations ?? []
        let byVersion = Dictionary(migrations.map { ($0.version.text, $0) }, uniquingKeysWith: { first, _ in first })
        for finding in findings {
            switch finding {
            case .migrationPending(let migration, let failedBefore):
                let version = migration.version.text
                let checksum = desired.migrationChecksums[version] ?? ""
                let file = Paths.fileName(of: migration.path)
                let action = PlanAction(
                    kind: .migrate, resource: "migration:\(version)",
                    cause: failedBefore ? "\(file) failed before; applying it again" : "\(file) is pending",
                    effect: .create, dependsOn: lastMigration.map { [$0] } ?? [],
                    changes: [FieldChange(field: "checksum", before: nil, after: Short.hash(checksum))],
                    undo: migration.undoPath == nil ? .none : .undoMigration,
                    target: .migration(MigrationStep(
                        version: version, description: byVersion[version]?.description ?? migration.description,
                        path: migration.path, checksum: checksum, undoPath: migration.undoPath
                    ))
                )
                graph.add(action, rank: 0)
                lastMigration = action.id
            case .migrationFileMissing(let row):
                problems.append(
                    "migration \(row.version) (\(row.description)) was applied, but its file is no longer in the migrations folder; restore it: the history must stay whole"
                )
            case .migrationChecksum(let migration, let recorded, let actual):
                problems.append(
                    "migration \(migration.version.text) (\(Paths.fileName(of: migration.path))) changed after it was applied: checksum \(recorded.prefix(12)) recorded, \(actual.prefix(12)) now; restore the file, a changed migration is never run again"
                )
            default:
                continue
            }
        }
    }
}
