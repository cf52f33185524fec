// swift-tools-version: 6.1
import PackageDescription

// The pipeline, in the order data flows:
//   CYAML -> BerthYAML -> BerthLoading (-> BerthModel) -> [observe -> plan -> apply] -> BerthRendering -> BerthCLI -> berth
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
        // Human and JSON views of the model; the engine never prints.
        .target(name: "BerthRendering", dependencies: ["BerthYAML", "BerthModel"], swiftSettings: settings),
        // The commands. The executable only calls into this.
        .target(
            name: "BerthCLI",
            dependencies: [
                "BerthYAML", "BerthModel", "BerthLoading", "BerthRendering",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"], swiftSettings: settings),
        // Benchmarks: `swift run -c release berth-bench --help`.
        .executableTarget(
            name: "berth-bench",
            dependencies: ["CYAML", "BerthYAML", "BerthLoading"],
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
            name: "BerthCLITests",
            dependencies: ["BerthCLI", "BerthTestSupport"],
            swiftSettings: settings
        ),
    ]
)
