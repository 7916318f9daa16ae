import Testing

@testable import Policy

@Suite struct MaskStyleTests {
    @Test(arguments: [
        (MaskStyle.last4, "850101-1234", "•••• 1234"),
        (.last4, "FI12 3456 7890 1234 56", "•••• 3456"),
        (.last4, "12345", "••••"),
        (.last4, "", "••••"),
        (.firstInitial, "Jane Doe", "J•••"),
        (.firstInitial, "  Åsa", "Å•••"),
        (.firstInitial, "", "•••••"),
        (.emailDomain, "jane.doe@example.org", "j•••@example.org"),
        (.emailDomain, "not-an-email", "•••••"),
        (.emailDomain, "@example.org", "•••••"),
        (.emailDomain, "jane@", "•••••"),
        (.yearOnly, "1984-05-12", "1984"),
        (.yearOnly, "12.05.1984", "1984"),
        (.yearOnly, "May 1984", "1984"),
        (.yearOnly, "unknown", "•••••"),
        (.redacted, "anything at all", "•••••"),
        (.redacted, "", "•••••"),
    ])
    func apply(style: MaskStyle, input: String, expected: String) {
        #expect(style.apply(to: input) == expected)
    }

    @Test func namesMatchThePolicyLanguage() {
        #expect(MaskStyle.allCases.map(\.rawValue) == ["last4", "first-initial", "email-domain", "year-only", "redacted"])
    }

    @Test func masksNeverReturnTheWholeValue() {
        var random = SplitMix64(seed: 7)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789@.- ")
        for _ in 0..<2000 {
            let length = Int(random.next() % 24) + 1
            let value = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            for style in MaskStyle.allCases where value.count > 4 {
                #expect(style.apply(to: value) != value, "\(style) leaked \(value)")
            }
        }
    }
}
