import Testing
@testable import Catalog

/// WCAG 2.x contrast of the branding colours, checked at load.
@Suite struct ContrastTests {
    static func color(_ hex: String) -> HexColor { HexColor(hex)! }

    @Test func knownRatios() {
        #expect(HexColor.contrastRatio(Self.color("#000"), Self.color("#FFF")) == 21.0)
        #expect(HexColor.contrastRatio(Self.color("#FFFFFF"), Self.color("#000000")) == 21.0)
        #expect(HexColor.contrastRatio(Self.color("#777"), Self.color("#777777")) == 1.0)
        let grey = HexColor.contrastRatio(Self.color("#777777"), Self.color("#FFFFFF"))
        #expect(abs(grey - 4.48) < 0.005)
        #expect(abs(HexColor.contrastRatio(Self.color("#767676"), Self.color("#FFFFFF")) - 4.54) < 0.005)
        #expect(Self.color("#FFFFFF").relativeLuminance == 1.0 && Self.color("#000000").relativeLuminance == 0.0)
        // Rounded down, so a ratio just under 4.5 never prints as 4.50.
        #expect(BrandingParser.format(grey) == "4.47")
        #expect(BrandingParser.format(21) == "21.00" && BrandingParser.format(4.4999) == "4.49" && BrandingParser.format(1.07) == "1.07")
    }

    @Test func theSampleColoursPassAA() throws {
        let colors = try Fixtures.sampleCatalog().branding.colors
        for pair in BrandingParser.contrastPairs {
            let ratio = HexColor.contrastRatio(try #require(colors[pair.foreground]), try #require(colors[pair.background]))
            #expect(ratio >= 4.5, "\(pair.foreground) on \(pair.background): \(ratio)")
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let replace: String
        let with: String
        let pair: String
        let line: Int
        var testDescription: String { pair }
    }

    @Test(arguments: [
        Case(replace: "text: \"#1A1A1A\"", with: "text: \"#999999\"", pair: "text on background", line: 9),
        Case(replace: "primary: \"#1F4E79\"", with: "primary: \"#6FA8DC\"", pair: "primary on background", line: 6),
        Case(replace: "accent: \"#2E8540\"", with: "accent: \"#4CAF50\"", pair: "accent on background", line: 8),
        Case(replace: "secondary: \"#F2A900\"", with: "secondary: \"#333333\"", pair: "text on secondary", line: 9),
        Case(replace: "background: \"#FFFFFF\"", with: "background: \"#3A3A3A\"", pair: "text on background", line: 9),
    ])
    func aFailingPairIsAnErrorNamingItAndItsRatio(_ c: Case) throws {
        let branding = Fixtures.branding.replacingFirst(c.replace, with: c.with)
        let (catalog, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        #expect(catalog == nil)
        let error = try #require(diagnostics.first { $0.kind == .lowContrast && $0.message.contains("pair \(c.pair) ") })
        #expect(error.severity == .error && error.location.file == "branding.yaml" && error.location.line == c.line)
        #expect(error.message.hasSuffix(":1; WCAG AA needs at least 4.5:1"))
        #expect(error.hint?.contains("contrast checker") == true)
    }

    @Test func theMessageShowsTheMeasuredRatio() throws {
        let branding = Fixtures.branding.replacingFirst("text: \"#1A1A1A\"", with: "text: \"#888888\"")
        let (_, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        let ratio = HexColor.contrastRatio(Self.color("#888888"), Self.color("#FFFFFF"))
        let error = try #require(diagnostics.first { $0.kind == .lowContrast })
        #expect(error.description.hasPrefix("branding.yaml:9:9: error: colour pair text on background has contrast \(BrandingParser.format(ratio)):1; WCAG AA needs at least 4.5:1"))
        #expect(BrandingParser.format(ratio) == "3.54")
        // #888888 also fails on the secondary (focus) colour: each pair is its own error.
        #expect(diagnostics.filter { $0.kind == .lowContrast }.map { $0.message.contains("text on background") } == [true, false])
    }

    @Test func aPrimaryButtonLabelIsNamedAndReportedOnce() throws {
        let branding = Fixtures.branding.replacingFirst("primary: \"#1F4E79\"", with: "primary: \"#F0C040\"")
        let (_, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        let errors = diagnostics.filter { $0.kind == .lowContrast }
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("primary on background") == true)
        #expect(errors.first?.hint?.contains("background on primary for the label of a primary button") == true)
    }

    @Test func missingTextAndBackgroundGetDefaults() throws {
        let branding = Fixtures.branding.replacingFirst("  text: \"#1A1A1A\"\n", with: "").replacingFirst("  background: \"#FFFFFF\"\n", with: "")
        let (catalog, diagnostics) = CatalogLoader.load(files: ["branding.yaml": branding], directory: Fixtures.sampleDirectory)
        #expect(diagnostics.allSatisfy { $0.severity != .error }, "\(diagnostics)")
        #expect(catalog?.branding.colors["text"] == Self.color("#1A1A1A"))
        #expect(catalog?.branding.colors["background"] == Self.color("#FFFFFF"))
        // The default background against a pale text: reported at the text, the colour the agency wrote.
        let pale = branding.replacingFirst("accent: \"#2E8540\"", with: "accent: \"#2E8540\"\n  text: \"#CCCCCC\"")
        let error = CatalogLoader.load(files: ["branding.yaml": pale], directory: Fixtures.sampleDirectory).1.first { $0.kind == .lowContrast }
        #expect(error?.location.line == 9)
    }
}

@Suite struct BrandingTimeZoneTests {
    @Test func theAgencysTimeZoneIsReadAndCheckedWithItsLine() throws {
        let dublin = Fixtures.branding + "\ntime_zone: Europe/Dublin\n"
        let (catalog, _) = CatalogLoader.load(files: ["branding.yaml": dublin], directory: Fixtures.sampleDirectory)
        #expect(try #require(catalog).branding.timeZone == "Europe/Dublin")

        let (plain, _) = CatalogLoader.load(files: ["branding.yaml": Fixtures.branding], directory: Fixtures.sampleDirectory)
        #expect(try #require(plain).branding.timeZone == "UTC")

        for wrong in ["Mars/Olympus_Mons", "CET+1", "", "Europe/../etc"] {
            let text = Fixtures.branding + "\ntime_zone: \"\(wrong)\"\n"
            let (none, diagnostics) = CatalogLoader.load(files: ["branding.yaml": text], directory: Fixtures.sampleDirectory)
            #expect(none == nil, "\(wrong)")
            let error = try #require(diagnostics.first { $0.message.contains("is not a time zone name") }, "\(wrong)")
            #expect(error.location.file == "branding.yaml" && error.location.line == text.split(separator: "\n", omittingEmptySubsequences: false).count - 1)
            #expect(error.hint?.contains("Europe/Dublin") == true)
        }
    }
}
