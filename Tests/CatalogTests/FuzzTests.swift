import Testing
@testable import Catalog

/// Seeded fuzzing: mutated catalog files and random inputs must produce a catalog or diagnostics, never a crash or hang.
@Suite struct FuzzTests {
    static let iterations = 2_500

    @Test func mutatedSampleFilesNeverCrashTheLoader() {
        var rng = SplitMix64(seed: 0x5EED_CA7A_1065)
        let names = Fixtures.sampleFiles.keys.sorted()
        var loaded = 0, rejected = 0
        for _ in 0..<Self.iterations {
            // Branding plus one service (or branding mutated plus one intact service) keeps each round fast.
            let name = names[Int(rng.next() % UInt64(names.count))]
            let partner = name == "branding.yaml" ? "change-of-address.yaml" : "branding.yaml"
            var files = [name: Self.mutate(Fixtures.sampleFiles[name] ?? "", &rng), partner: Fixtures.sampleFiles[partner] ?? ""]
            if rng.next() % 8 == 0 { files = [name: files[name] ?? ""] }
            let (catalog, diagnostics) = CatalogLoader.load(files: files, directory: Fixtures.sampleDirectory)
            if catalog != nil { loaded += 1 } else { rejected += 1 }
            if catalog == nil {
                #expect(diagnostics.contains { $0.severity == .error })
            }
            // A mutated branding.yaml can change the catalog's languages, which the intact service's texts then miss
            // or add to: those diagnostics are in the service file.
            let translation: Set<CatalogDiagnostic.Kind> = [.missingTranslation, .unknownLanguage, .untranslatedText]
            for diagnostic in diagnostics where diagnostic.kind != .missingBranding && diagnostic.kind != .noServices {
                #expect(diagnostic.location.file == name || diagnostic.kind == .duplicateServiceID
                        || (name == "branding.yaml" && translation.contains(diagnostic.kind)), "\(name): \(diagnostic)")
            }
        }
        #expect(loaded + rejected == Self.iterations)
        #expect(rejected > Self.iterations / 4)
    }

    static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        switch rng.next() % 5 {
        case 0:
            for _ in 0..<(1 + rng.next() % 8) where !bytes.isEmpty {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
            }
        case 1:
            bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
        case 2:
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for _ in 0..<(1 + rng.next() % 4) where lines.count > 1 {
                let a = Int(rng.next() % UInt64(lines.count)), b = Int(rng.next() % UInt64(lines.count))
                lines.swapAt(a, b)
            }
            return lines.joined(separator: "\n")
        case 3:
            let snippets = ["  ", "- ", ": ", "#", "\"", "'", "[", "{", "&a ", "*a", "\t", "!!str ", "~", "\n", "---\n"]
            for _ in 0..<(1 + rng.next() % 4) {
                let i = Int(rng.next() % UInt64(bytes.count + 1))
                bytes.insert(contentsOf: Array(snippets[Int(rng.next() % UInt64(snippets.count))].utf8), at: i)
            }
        default:
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if !lines.isEmpty { lines.remove(at: Int(rng.next() % UInt64(lines.count))) }
            return lines.joined(separator: "\n")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func randomInputsNeverCrashValidation() throws {
        let catalog = try Fixtures.sampleCatalog()
        var rng = SplitMix64(seed: 42)
        let services = catalog.serviceIDs.compactMap(catalog.service)
        var accepted = 0
        for _ in 0..<Self.iterations {
            let service = services[Int(rng.next() % UInt64(services.count))]
            var values: [String: FieldInput] = [:]
            for field in service.fields where rng.next() % 3 != 0 {
                values[field.id] = Self.randomInput(&rng, depth: 0)
            }
            if rng.next() % 10 == 0 { values["extra_\(rng.next() % 5)"] = .null }
            let partial = rng.next() % 2 == 0
            if let result = try? service.validate(values, partial: partial, today: Fixtures.today) {
                accepted += 1
                // A complete submission of a service with a fee always owes something: `catalog check` makes an
                // entered amount's field required, money and in the fee's currency.
                if let fee = service.fee, !partial {
                    #expect(fee.amountDue(for: result).map { $0.minorUnits > 0 && $0.currency == fee.currency } == true)
                }
                for (id, value) in result {
                    let type = try #require(service.field(id)?.type)
                    #expect(try FieldValue(canonical: value.canonical, type: type) == value)
                }
                _ = service.decide(result, facts: DecisionFacts(applicantIsSubject: rng.next() % 2 == 0,
                                                                applicantAgeYears: Int(rng.next() % 100)))
            }
        }
        #expect(accepted > 0)
    }

    /// The tax or fee payment charges what was entered: random amounts are either refused by validation or owed
    /// exactly, in the fee's currency — never nothing, never another amount.
    @Test func anEnteredFeeIsOwedExactlyAsValidated() throws {
        let service = try #require(try Fixtures.sampleCatalog().service("fee-payment"))
        let fee = try #require(service.fee)
        var rng = SplitMix64(seed: 0xFEE5)
        var owed = 0
        for _ in 0..<Self.iterations {
            let amount: FieldInput = switch rng.next() % 3 {
            case 0: .decimal("\(rng.next() % 6_000_000 / 100).\(String(format: "%02d", rng.next() % 100))")
            case 1: .integer(Int(rng.next() % 70_000) - 100)
            default: Self.randomInput(&rng, depth: 0)
            }
            let values: [String: FieldInput] = [
                "payment_reference": .string("RT-00123456"), "amount": amount, "payer_email": .string("a@example.ie"),
            ]
            guard let result = try? service.validate(values, partial: false, today: Fixtures.today) else { continue }
            owed += 1
            guard case .money(let entered)? = result["amount"] else {
                Issue.record("a validated amount is not money: \(String(describing: result["amount"]))")
                continue
            }
            #expect(fee.amountDue(for: result) == entered && entered.minorUnits >= 100 && entered.currency == fee.currency)
        }
        #expect(owed > Self.iterations / 4, "too few valid amounts (\(owed)) to mean anything")
    }

    static func randomString(_ rng: inout SplitMix64) -> String {
        let pieces = ["", " ", "a", "Z", "0", "9", "40123", "2024-02-29", "2025-13-01", "@", "x@y.ie", "+353", "-", ".", "12.50",
                      "1e5", "é", "\u{0}", "\n", "🙂", "E012345", "RT-00123456", "coding-teen", "return", "basic", "true",
                      String(repeating: "x", count: 3_000)]
        var s = ""
        for _ in 0..<(rng.next() % 4) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return s
    }

    static func randomInput(_ rng: inout SplitMix64, depth: Int) -> FieldInput {
        switch rng.next() % (depth > 1 ? 6 : 7) {
        case 0: return .string(randomString(&rng))
        case 1: return .integer(Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 64))
        case 2: return .decimal(randomString(&rng))
        case 3: return .bool(rng.next() % 2 == 0)
        case 4: return .null
        case 5: return .string(["40123", "2025-06-01", "a@b.ie", "+35315550199", "1234567AB", "family", "ok text here"][Int(rng.next() % 7)])
        default:
            var object: [String: FieldInput] = [:]
            let keys = ["line1", "line2", "city", "postcode", "country", "amount", "currency", "other"]
            for key in keys where rng.next() % 2 == 0 { object[key] = randomInput(&rng, depth: depth + 1) }
            return .object(object)
        }
    }
}
