// swift-tools-version: 6.0
import PackageDescription

// Strongroom: a privacy-hardened secure records service.
// Layers (lower never import higher): CSodium -> Sodium -> Keyring -> Sealing;
// Sodium -> AuditLog; Witness (AuditLog, Keyring); Policy; Catalog; Storage (GRDB, AuditLog);
// Strongroom (all) -> StrongroomAPI -> StrongroomWeb -> StrongroomCLI -> strongroom.

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Strongroom",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strongroom", targets: ["strongroom"]),
        .executable(name: "strongroom-bench", targets: ["StrongroomBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Already in the graph through Hummingbird; named for the request-deadline channel handler.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // HTML templates for the web portal (escapes by default, inside attribute values too).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(
            name: "Sodium",
            dependencies: ["CSodium", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(name: "Keyring", dependencies: ["Sodium"], swiftSettings: strictSettings),
        .target(name: "Sealing", dependencies: ["Sodium", "Keyring"], swiftSettings: strictSettings),
        .target(name: "AuditLog", dependencies: ["Sodium"], swiftSettings: strictSettings),
        .target(
            name: "Witness",
            dependencies: ["Sodium", "Keyring", "AuditLog", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "Policy", swiftSettings: strictSettings),
        .target(name: "Catalog", dependencies: ["Yams"], swiftSettings: strictSettings),
        .target(
            name: "Storage",
            dependencies: ["AuditLog", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Strongroom",
            dependencies: [
                "Sodium", "Keyring", "Sealing", "AuditLog", "Policy", "Catalog", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StrongroomAPI",
            dependencies: [
                "Strongroom",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StrongroomWeb",
            dependencies: [
                "Strongroom", "StrongroomAPI", "AuditLog", "Catalog", "Sodium", "Yams",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Templates"), .copy("Messages"), .copy("Assets")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StrongroomCLI",
            dependencies: [
                "Strongroom", "StrongroomAPI", "StrongroomWeb", "AuditLog", "Storage", "Witness", "Sodium",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "strongroom", dependencies: ["StrongroomCLI"], swiftSettings: strictSettings),
        .executableTarget(
            name: "StrongroomBench",
            dependencies: [
                "CSodium", "Sodium", "Keyring", "Sealing", "AuditLog", "Policy", "Catalog", "Storage", "Strongroom",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The raw SQLite C API, for the floors: the same system libsqlite3 GRDB links.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // The bare HTTP floor (`strongroom-bench http-floor`) for the HTTP scenarios.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/StrongroomBench",
            swiftSettings: strictSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Sodium", "Keyring", "AuditLog", "Storage", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], resources: [.copy("Vectors")], swiftSettings: strictSettings),
        .testTarget(name: "KeyringTests", dependencies: ["Keyring", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "SealingTests", dependencies: ["Sealing", "Storage", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "AuditLogTests", dependencies: ["AuditLog", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "WitnessTests", dependencies: ["Witness", "AuditLog", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "PolicyTests", dependencies: ["Policy"], swiftSettings: strictSettings),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"], swiftSettings: strictSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "StrongroomTests", dependencies: ["Strongroom", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "StrongroomAPITests",
            dependencies: [
                "StrongroomAPI", "TestSupport", "Yams",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "StrongroomWebTests",
            dependencies: [
                "StrongroomWeb", "StrongroomAPI", "TestSupport", "Yams",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "StrongroomCLITests", dependencies: ["StrongroomCLI", "TestSupport"], swiftSettings: strictSettings),
    ]
)
