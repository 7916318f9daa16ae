import StrongroomWeb
import TestSupport
import Testing

@Suite struct FormBodyTests {
    @Test func decodesPlusPercentAndRepeats() throws {
        let form = try #require(FormBody(encoded: "a=1+2&b=%C3%A1rv%C3%ADz&a=3&empty=&flag"))
        #expect(form["a"] == "1 2")
        #expect(form.all("a") == ["1 2", "3"])
        #expect(form["b"] == "árvíz")
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func refusesMalformedEncoding() {
        #expect(FormBody(encoded: "a=%ZZ") == nil)
        #expect(FormBody(encoded: "a=%C3") == nil, "not UTF-8")
        #expect(FormBody(encoded: "a=%4") == nil)
        #expect(FormBody(encoded: "=value") == nil)
        let tooMany = (0...FormBody.maximumPairs).map { "k\($0)=v" }.joined(separator: "&")
        #expect(FormBody(encoded: tooMany) == nil)
    }

    @Test func encodeThenDecodeGivesTheTextBack() throws {
        for text in ["plain", "a b&c=d", "árvíztűrő tükörfúrógép", "€ 12,50", "line\nbreak", "%41+", "\u{1F600}"] {
            let form = try #require(FormBody(encoded: "x=" + FormBody.encode(text)))
            #expect(form["x"] == text)
        }
    }

    /// Fuzz: random bytes either parse or are refused; never a crash, and every parsed value is valid text.
    @Test func fuzzRandomInput() {
        var random = SplitMix64(seed: 0x5EED_F0E1)
        let alphabet = Array("ab=&%+0123456789ABCDEFz\u{00E1}".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 40)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            if let form = FormBody(encoded: text) {
                #expect(form.pairs.count <= FormBody.maximumPairs)
                #expect(form.pairs.allSatisfy { !$0.name.isEmpty })
            }
        }
    }
}
