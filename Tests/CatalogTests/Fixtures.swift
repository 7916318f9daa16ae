#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import Catalog

/// Paths and small builders shared by the Catalog tests.
enum Fixtures {
    /// `<repo>/Catalog`, three levels up from this file.
    static let sampleDirectory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Catalog"
    }()

    /// The sample files by name.
    static let sampleFiles: [String: String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sampleDirectory)) ?? []
        var files: [String: String] = [:]
        for name in names where name.hasSuffix(".yaml") {
            if let data = FileManager.default.contents(atPath: sampleDirectory + "/" + name) {
                files[name] = String(decoding: data, as: UTF8.self)
            }
        }
        return files
    }()

    /// The sample branding as it was in one language (English only, no `languages:`), so tests of other features
    /// can write plain-string services without translation warnings. Line numbers match the original sample.
    static let branding = """
        # Branding of the agency: shown on every page, receipt and email.
        name: Northhaven Municipal Services
        short_name: Northhaven
        logo: logo.svg
        colors:
          primary: "#1F4E79"
          secondary: "#F2A900"
          accent: "#2E8540"
          text: "#1A1A1A"
          background: "#FFFFFF"
        contact:
          email: help@services.northhaven.example
          phone: "+353 1 555 0100"
          address: "Civic Offices, 1 Harbour Street, Northhaven 40100"
          web: https://services.northhaven.example
        locale: en-IE
        currency: EUR
        """

    /// The sample's own branding: `languages: [hu, en]`, Hungarian first.
    static let sampleBranding = sampleFiles["branding.yaml"] ?? ""

    /// Loads the sample's bilingual branding plus one service file, returning diagnostics.
    static func loadTranslatedService(_ yaml: String, name: String = "svc.yaml") -> (Catalog?, [CatalogDiagnostic]) {
        CatalogLoader.load(files: ["branding.yaml": sampleBranding, name: yaml], directory: sampleDirectory)
    }

    /// Loads the sample catalog or fails the test.
    static func sampleCatalog() throws -> Catalog {
        try CatalogLoader.load(directory: sampleDirectory)
    }

    /// Loads the sample branding plus one service file, returning diagnostics.
    static func loadService(_ yaml: String, name: String = "svc.yaml") -> (Catalog?, [CatalogDiagnostic]) {
        CatalogLoader.load(files: ["branding.yaml": branding, name: yaml], directory: sampleDirectory)
    }

    /// A fixed "today" so date limits are deterministic.
    static let today = CalendarDate(year: 2025, month: 6, day: 15)!
}

/// SplitMix64: a small, seeded, deterministic PRNG for fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
