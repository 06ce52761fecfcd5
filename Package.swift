// swift-tools-version:6.0
import PackageDescription

// Targets follow the data flow: Core (pure transforms) → Connectors (file I/O) → Store (SQLite or PostgreSQL) → Destinations
// (delivery to sales tools) → Engine (runs) → CLI.
let package = Package(
    name: "leadsync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "leadsync", targets: ["LeadsyncCLI"]),
        .executable(name: "leadsync-bench", targets: ["LeadsyncBench"]),
        .executable(name: "leadsync-fuzz", targets: ["LeadsyncFuzzDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C shims over system libraries.
        .systemLibrary(name: "CCurl", path: "Sources/CShims/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CShims/CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CPSL", path: "Sources/CShims/CPSL", pkgConfig: "libpsl", providers: [.apt(["libpsl-dev"])]),
        .target(
            name: "CPhoneNumber",
            path: "Sources/CShims/CPhoneNumber",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("phonenumber"), .linkedLibrary("stdc++")]
        ),

        // Pure core: model, normalisation, mapping, matching keys, rules, reconciliation types. No I/O.
        .target(name: "LeadsyncCore", dependencies: ["CPSL", "CPhoneNumber"]),
        // Sources: CSV and XML parsing, the drop-directory protocol, HTTP feeds (libcurl).
        .target(name: "LeadsyncConnectors", dependencies: ["LeadsyncCore", "CLibXML2", "CCurl"]),
        // The pipeline store: SQLite through GRDB, or PostgreSQL through postgres-nio, behind one SQL connection type.
        .target(name: "LeadsyncStore", dependencies: ["LeadsyncCore", .product(name: "GRDB", package: "GRDB.swift"),
                                                      .product(name: "Crypto", package: "swift-crypto"),
                                                      .product(name: "PostgresNIO", package: "postgres-nio"),
                                                      .product(name: "NIOPosix", package: "swift-nio"),
                                                      .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                      .product(name: "Logging", package: "swift-log")]),
        // Where handoffs go (the outbound side, apart from the connectors' inbound one): webhook POSTs through
        // libcurl with HMAC signatures, and CRM import files written atomically.
        .target(name: "LeadsyncDestinations", dependencies: ["LeadsyncCore", "LeadsyncStore", "CCurl",
                                                             .product(name: "Crypto", package: "swift-crypto")]),
        // Report rendering: Markdown, JSON, CSV and a self-contained HTML page with inline SVG charts.
        .target(name: "LeadsyncReports", dependencies: ["LeadsyncCore"]),
        // Configuration loading and one-shot runs.
        .target(name: "LeadsyncEngine", dependencies: ["LeadsyncCore", "LeadsyncConnectors", "LeadsyncStore", "LeadsyncDestinations", "Yams"]),
        // `leadsync run`: the long-running service (watchers, feed schedulers, executor, systemd, metrics endpoint).
        .target(name: "LeadsyncDaemon", dependencies: [
            "LeadsyncEngine", "LeadsyncStore", "LeadsyncConnectors", "LeadsyncCore",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .executableTarget(name: "LeadsyncCLI", dependencies: [
            "LeadsyncEngine", "LeadsyncStore", "LeadsyncCore", "LeadsyncDaemon", "LeadsyncReports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Fuzz targets for every parser of outside input (`make fuzz`), and their libFuzzer driver.
        .target(name: "LeadsyncFuzz", dependencies: ["LeadsyncCore", "LeadsyncConnectors", "LeadsyncEngine"]),
        .executableTarget(name: "LeadsyncFuzzDriver", dependencies: ["LeadsyncFuzz"]),
        // Synthetic lead generator shared by tests and benchmarks.
        .target(name: "LeadsyncTesting", dependencies: ["LeadsyncCore", "LeadsyncConnectors", "LeadsyncEngine", "LeadsyncStore"]),
        .executableTarget(name: "LeadsyncBench", dependencies: ["LeadsyncTesting", "LeadsyncEngine"]),

        .testTarget(name: "LeadsyncCoreTests", dependencies: ["LeadsyncCore", "LeadsyncTesting"]),
        .testTarget(name: "LeadsyncConnectorsTests", dependencies: ["LeadsyncConnectors", "LeadsyncCore", "LeadsyncTesting", "LeadsyncFuzz"]),
        .testTarget(name: "LeadsyncDaemonTests", dependencies: ["LeadsyncDaemon", "LeadsyncEngine", "LeadsyncStore", "LeadsyncTesting",
                                                                .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LeadsyncEngineTests", dependencies: ["LeadsyncEngine", "LeadsyncStore", "LeadsyncTesting", "LeadsyncReports", "LeadsyncDestinations",
                                                                .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    cxxLanguageStandard: .cxx17
)
