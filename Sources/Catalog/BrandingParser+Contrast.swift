import Yams

extension BrandingParser {
    static let defaultText = HexColor("#1A1A1A")!
    static let defaultBackground = HexColor("#FFFFFF")!
    /// WCAG 2.x level AA for normal-size text.
    static let minimumContrast = 4.5

    /// A pair of colours that the portal puts one on the other, and what for.
    struct ColorPair {
        let foreground: String
        let background: String
        let use: String
    }

    static let contrastPairs = [
        ColorPair(foreground: "text", background: "background", use: "body text"),
        ColorPair(foreground: "primary", background: "background", use: "links and headings"),
        ColorPair(foreground: "background", background: "primary", use: "the label of a primary button"),
        ColorPair(foreground: "accent", background: "background", use: "success messages"),
        ColorPair(foreground: "text", background: "secondary", use: "text under the keyboard-focus highlight"),
    ]

    /// Reports every pair below ``minimumContrast``; a pair with a colour left out is skipped (`text` and `background`
    /// have defaults, `primary` is required). `background` on `primary` has the same ratio as `primary` on
    /// `background` and is reported once, under the first name.
    func checkContrast(_ colors: [String: HexColor], reader: MappingReader) {
        let colorReader = reader.value("colors").flatMap { node -> MappingReader? in
            guard case .mapping = node else { return nil }
            return MappingReader(node, what: "colors", sink: sink)
        }
        var reported: Set<Set<String>> = []
        for pair in Self.contrastPairs {
            guard let foreground = colors[pair.foreground], let background = colors[pair.background] else { continue }
            let ratio = HexColor.contrastRatio(foreground, background)
            guard ratio < Self.minimumContrast, reported.insert([pair.foreground, pair.background]).inserted else { continue }
            let mirrored = Self.contrastPairs.first { $0.foreground == pair.background && $0.background == pair.foreground }
            let uses = [pair.use] + (mirrored.map { ["\($0.foreground) on \($0.background) for \($0.use)"] } ?? [])
            // Point at the colour the agency wrote (the foreground unless it is a default).
            let at = [pair.foreground, pair.background].lazy.compactMap { colorReader?.value($0) }.first ?? reader.value("colors")
            sink.error(.lowContrast, at: at,
                       "colour pair \(pair.foreground) on \(pair.background) has contrast \(Self.format(ratio)):1; WCAG AA needs at least 4.5:1",
                       hint: "it is used for \(uses.joined(separator: ", and ")); darken or lighten `\(pair.foreground)` or `\(pair.background)` until a contrast checker shows at least 4.5:1")
        }
    }

    /// `ratio` with two decimals, rounded down so a failing ratio never prints as 4.50.
    static func format(_ ratio: Double) -> String {
        let hundredths = Int((ratio * 100).rounded(.down))
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
