// swift-tools-version: 6.1
import PackageDescription

// The pipeline, in the order data flows:
//   load:    CYAML -> BerthYAML -> BerthLoading -> BerthModel (the desired state)
//   observe: BerthEngine (Docker Engine API), BerthDatabase (SQLite, PostgreSQL) -> BerthObserve (ObservedState)
//   plan:    BerthPlan (pure: desired + observed -> Plan)
//   apply:   BerthApply
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
        // libyaml, from Debian's libyaml-dev. Only BerthYAML sees it.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // A YAML node tree with 1-based marks, and the diagnostics type every stage reports with.
        .target(name: "BerthYAML", dependencies: ["CYAML"], swiftSettings: settings),
        // The desired state of an environment and its schema: values only, no I/O.
        .target(name: "BerthModel", swiftSettings: settings),
        // Stage 1, load: files -> YAML -> `extends` overlays -> validated `Environment`.
        .target(name: "BerthLoading", dependencies: ["BerthYAML", "BerthModel"], swiftSettings: settings),
        // SQLite and libpq, from Debian's libsqlite3-dev and libpq-dev. Only BerthDatabase sees them.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // SQL over SQLite and PostgreSQL: migration history now, migrations and the state store next.
        .target(name: "BerthDatabase", dependencies: ["CSQLite", "CLibPQ"], swiftSettings: settings),
        // The Docker Engine API (Docker or Podman) over a unix socket or TCP: requests built purely, transport apart.
        .target(name: "BerthEngine", swiftSettings: settings),
        // Stage 2, observe: probes of engine, config files, migration history and health, taken once.
        .target(
            name: "BerthObserve",
            dependencies: ["BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase"],
            swiftSettings: settings
        ),
        // Stage 3, plan: a pure function of desired and observed state.
        .target(name: "BerthPlan", dependencies: ["BerthModel"], swiftSettings: settings),
        // Stage 4, apply: what a plan's actions do to the world.
        .target(
            name: "BerthApply",
            dependencies: ["BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthPlan"],
            swiftSettings: settings
        ),
        // Human and JSON views of the model; the engine never prints.
        .target(name: "BerthRendering", dependencies: ["BerthYAML", "BerthModel", "BerthPlan"], swiftSettings: settings),
        // The commands. The executable only calls into this.
        .target(
            name: "BerthCLI",
            dependencies: [
                "BerthYAML", "BerthModel", "BerthLoading", "BerthEngine", "BerthObserve", "BerthPlan", "BerthApply",
                "BerthRendering",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"], swiftSettings: settings),
        // Benchmarks: `swift run -c release berth-bench --help`.
        .executableTarget(
            name: "berth-bench",
            dependencies: [
                "CYAML", "BerthYAML", "BerthLoading", "BerthModel", "BerthPlan", "BerthEngine", "BerthObserve", "BerthApply",
                "BerthDatabase",
            ],
            swiftSettings: settings
        ),

        // Marked fixtures and helpers, shared by the test targets.
        .target(name: "BerthTestSupport", path: "Tests/BerthTestSupport", swiftSettings: settings),
        .testTarget(name: "BerthYAMLTests", dependencies: ["BerthYAML"], swiftSettings: settings),
        .testTarget(name: "BerthModelTests", dependencies: ["BerthModel"], swiftSettings: settings),
        .testTarget(
            name: "BerthLoadingTests",
            dependencies: ["BerthYAML", "BerthModel", "BerthLoading", "BerthTestSupport"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthRenderingTests",
            dependencies: ["BerthYAML", "BerthModel", "BerthLoading", "BerthRendering"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthEngineTests", dependencies: ["BerthEngine", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthDatabaseTests", dependencies: ["BerthDatabase", "BerthTestSupport"], swiftSettings: settings
        ),
        .testTarget(
            name: "BerthObserveTests",
            dependencies: [
                "BerthObserve", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthPlan", "BerthApply",
                "BerthTestSupport",
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "BerthPlanTests", dependencies: ["BerthPlan", "BerthModel"], swiftSettings: settings),
        .testTarget(
            name: "BerthApplyTests",
            dependencies: ["BerthApply", "BerthModel", "BerthLoading", "BerthEngine", "BerthDatabase", "BerthObserve", "BerthTestSupport"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "BerthCLITests",
            dependencies: ["BerthCLI", "BerthDatabase", "BerthEngine", "BerthTestSupport"],
            swiftSettings: settings
        ),
    ]
)
