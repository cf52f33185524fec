// swift-tools-version: 6.1
import PackageDescription

// The pipeline, in the order data flows (ARCHITECTURE.md has the map):
//   base:    BerthCore (diagnostics, file system, clock, JSON, ordering: no dependencies)
//   load:    CYAML -> BerthYAML -> BerthLoading -> BerthModel (the desired state, resolved to hashes)
//   observe: BerthEngine (Docker Engine API), BerthDatabase (SQLite, PostgreSQL) -> BerthObserve (ObservedState)
//   plan:    BerthPlan (pure: desired + observed -> Plan)
//   apply:   BerthApply (the executor and what actions do), BerthSession (the policy: lock, journal, recovery)
//   output:  BerthRendering -> BerthCLI -> berth
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Berth",
    products: [
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // What every stage shares: diagnostics, the file system, the clock, JSON values, topological order.
        .target(name: "BerthCore", swiftSettings: settings),
        // libyaml, from Debian's libyaml-dev. Only BerthYAML sees it.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // A YAML node tree with 1-based marks, and the diagnostics type every stage reports with.
        .target(name: "BerthYAML", dependencies: ["CYAML", "BerthCore"], swiftSettings: settings),
        // The desired state of an environment and its schema: values only, no I/O.
        .target(name: "BerthModel", dependencies: ["BerthCore"], swiftSettings: settings),
        // Stage 1, load: files -> YAML -> `extends` overlays -> validated `Environment` -> resolved `DesiredState`.
        .target(name: "BerthLoading", dependencies: ["BerthCore", "BerthYAML", "BerthModel"], swiftSettings: settings),
        // SQLite and libpq, from Debian's libsqlite3-dev and libpq-dev. Only BerthDatabase sees them.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // SQL over SQLite and PostgreSQL: migration history now, migrations and the state store next.
        .target(name: "BerthDatabase", dependencies: ["BerthCore", "CSQLite", "CLibPQ"], swiftSettings: settings),
        // The Docker Engine API (Docker or Podman) over a unix socket or TCP: requests built purely, transport apart.
        .target(name: "BerthEngine", dependencies: ["BerthCore"], swiftSettings: settings),
        // The proxy in front of routed services (HAProxy through its runtime API), and its double.
        .target(name: "BerthProxy", dependencies: ["BerthCore", "BerthModel"], swiftSettings: settings),
        // Stage 2, observe: probes of engine, config files, migration history and health, taken once.
        .target(
            name: "BerthObserve",
            dependencies: ["BerthCore", "BerthModel", "BerthEngine", "BerthDatabase", "BerthProxy"],
            swiftSettings: settings
        ),
        // Stage 3, plan: a pure function of desired and observed state.
        .target(name: "BerthPlan", dependencies: ["BerthCore", "BerthModel"], swiftSettings: settings),
        // Stage 4, apply: the executor, and what each kind of action does to the world (mechanism only).
        .target(
            name: "BerthApply",
            dependencies: ["BerthCore", "BerthModel", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthPlan", "BerthProxy"],
            swiftSettings: settings
        ),
        // The policy of multi-step operations, built on a context of injected drivers: the apply session
        // (lock, recovery, observe, stale-plan check, executor, journal) and the read-only pipeline.
        .target(
            name: "BerthSession",
            dependencies: [
                "BerthCore", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthPlan", "BerthApply",
                "BerthProxy",
            ],
            swiftSettings: settings
        ),
        // Human and JSON views of the model, plans, reports and history; nothing else prints.
        .target(
            name: "BerthRendering",
            dependencies: ["BerthCore", "BerthYAML", "BerthModel", "BerthPlan", "BerthApply", "BerthSession"],
            swiftSettings: settings
        ),
        // The commands. The executable only calls into this.
        .target(
            name: "BerthCLI",
            dependencies: [
                "BerthCore", "BerthYAML", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthPlan",
                "BerthApply", "BerthSession", "BerthRendering", "BerthProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"], swiftSettings: settings),
        // Benchmarks: `swift run -c release berth-bench --help`.
        .executableTarget(
            name: "berth-bench",
            dependencies: [
                "CYAML", "BerthCore", "BerthYAML", "BerthLoading", "BerthModel", "BerthPlan", "BerthEngine", "BerthObserve",
                "BerthApply", "BerthDatabase", "BerthSession", "BerthProxy",
                // The pathological projects and the loader's fuzz loop, which the tests run small.
                "BerthTestSupport",
            ],
            swiftSettings: settings
        ),

        // Marked fixtures, generated pathological projects, the loader's fuzz loop and helpers, shared by the
        // test targets and berth-bench.
        .target(
            name: "BerthTestSupport",
            dependencies: [
                "BerthCore", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthPlan", "BerthApply",
                "BerthSession", "BerthRendering", "BerthProxy",
            ],
            path: "Tests/BerthTestSupport", swiftSettings: settings
        ),
        .testTarget(name: "BerthYAMLTests", dependencies: ["BerthCore", "BerthYAML"], swiftSettings: settings),
        .testTarget(name: "BerthModelTests", dependencies: ["BerthCore", "BerthModel"], swiftSettings: settings),
        .testTarget(
            name: "BerthLoadingTests",
            dependencies: ["BerthCore", "BerthYAML", "BerthModel", "BerthLoading", "BerthTestSupport"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthRenderingTests",
            dependencies: ["BerthCore", "BerthYAML", "BerthModel", "BerthLoading", "BerthRendering", "BerthPlan", "BerthApply", "BerthSession"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthEngineTests", dependencies: ["BerthCore", "BerthEngine", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthProxyTests", dependencies: ["BerthCore", "BerthModel", "BerthProxy", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthDatabaseTests", dependencies: ["BerthCore", "BerthDatabase", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthObserveTests",
            dependencies: ["BerthCore", 
                "BerthObserve", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthPlan", "BerthApply",
                "BerthTestSupport",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthPlanTests", dependencies: ["BerthCore", "BerthPlan", "BerthModel", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthApplyTests",
            dependencies: ["BerthCore", "BerthApply", "BerthPlan", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthSession", "BerthTestSupport", "BerthProxy"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthSessionTests",
            dependencies: [
                "BerthCore", "BerthModel", "BerthEngine", "BerthObserve", "BerthPlan", "BerthApply", "BerthSession", "BerthTestSupport",
                "BerthProxy",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthCLITests",
            dependencies: ["BerthCore", "BerthCLI", "BerthProxy", "BerthDatabase", "BerthEngine", "BerthApply", "BerthSession", "BerthObserve", "BerthTestSupport"],
            swiftSettings: settings
        ),
    ]
)
