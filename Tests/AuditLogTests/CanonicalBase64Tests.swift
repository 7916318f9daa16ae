import AuditLog
import Sodium
import Testing
import TestSupport

/// Base64 in signed notes, checkpoints and key lines has one spelling: every other spelling of the same bytes (bits
/// set after the data, padding dropped or added, whitespace, the URL-safe alphabet) is refused with a clear error.
@Suite("Canonical base64")
struct CanonicalBase64Tests {
    /// RFC 4648 section 10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func knownCanonicalStringsDecode() throws {
        for (plain, encoded) in Self.vectors {
            #expect(try Base64.decodeCanonical(encoded) == Array(plain.utf8))
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
        }
        #expect(try Base64.decodeCanonical("+/8=") == [0xfb, 0xff])
    }

    struct Variant: Sendable, CustomTestStringConvertible {
        let text: String
        let problem: Base64.Problem
        var testDescription: String { "\(text.debugDescription)" }
    }

    static let variants: [Variant] = [
        Variant(text: "Zh==", problem: .paddingBits),  // "f" with the low bits of 'g' set
        Variant(text: "Zm9=", problem: .paddingBits),
        Variant(text: "Zm9vYmF=", problem: .paddingBits),
        Variant(text: "Zg", problem: .length(2)),
        Variant(text: "Zg=", problem: .length(3)),
        Variant(text: "Zm8", problem: .length(3)),
        Variant(text: "Zg===", problem: .length(5)),
        Variant(text: "Zm9v====", problem: .padding),
        Variant(text: "Zg==Zm8=", problem: .padding),
        Variant(text: "Z===", problem: .padding),
        Variant(text: "Zm=v", problem: .padding),
        Variant(text: " Zm8", problem: .character(offset: 0)),
        Variant(text: "Zm8=\n", problem: .length(5)),
        Variant(text: "Zm9v\nYmFy", problem: .length(9)),
        Variant(text: "Zm\t9v", problem: .length(5)),
        Variant(text: "Zm 9vYmF", problem: .character(offset: 2)),
        Variant(text: "-_8=", problem: .character(offset: 0)),  // the URL-safe spelling of "+/8="
        Variant(text: "+_8=", problem: .character(offset: 1)),
    ]

    @Test(arguments: variants)
    func nonCanonicalSpellingsAreRefusedWithTheirReason(_ variant: Variant) {
        let problem = #expect(throws: Base64.Problem.self) { try Base64.decodeCanonical(variant.text) }
        #expect(problem == variant.problem)
        #expect(problem.map { !$0.description.isEmpty } == true)
        #expect(Base64.decode(variant.text) == nil)
    }

    /// The same bytes with the unused bits after the data set (the last character before the padding changed).
    static func withUnusedBitsSet(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(text)
        guard let last = characters.lastIndex(where: { $0 != "=" }), characters.last == "=",
            let value = alphabet.firstIndex(of: characters[last])
        else { return text }
        characters[last] = alphabet[value ^ 1]
        return String(characters)
    }

    /// Every other spelling of a canonical token that a lax decoder would read as the same bytes (or nearly).
    static func variants(of token: String) -> [String] {
        var out = [token + "=", String(token.dropLast()), " " + token, token + " ", token + "\n",
                   String(token.prefix(4)) + "\n" + String(token.dropFirst(4)),
                   token.replacingOccurrences(of: "=", with: "")]
        if token.hasSuffix("=") { out.append(withUnusedBitsSet(token)) }
        if token.contains("+") || token.contains("/") {
            out.append(token.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return out.filter { $0 != token }
    }

    @Test func aCheckpointRootMustBeCanonical() throws {
        let signer = try AuditTestSigners.make(seed: 3)
        let checkpoint = AuditCheckpoint(origin: "strongroom.example/audit", size: 12, rootHash: AuditHashing.emptyTreeRoot)
        let signed = signer.sign(checkpoint)
        let root = Base64.encode(checkpoint.rootHash)
        #expect(root.hasSuffix("=") && !root.hasSuffix("=="))
        #expect(try SignedCheckpoint(text: signed.text) == signed)
        let variants = Self.variants(of: root)
        #expect(variants.contains(Self.withUnusedBitsSet(root)))
        for variant in variants {
            let text = signed.text.replacingOccurrences(of: root, with: variant)
            let error = #expect(throws: AuditError.malformedCheckpointCode, "\(variant.debugDescription)") { try SignedCheckpoint(text: text) }
            // Whitespace inside a line is a base64 problem; a line break makes another line (another error).
            if !variant.contains("\n") {
                #expect(error?.message.contains("canonical base64") == true, "\(String(describing: error))")
            }
        }
        // The laxest reading (unused bits ignored) would give the very same hash, which is why it must be refused.
        let lax = Self.withUnusedBitsSet(root)
        #expect(Base64.decode(lax) == nil)
    }

    @Test func aSignatureLineMustBeCanonical() throws {
        let signer = try AuditTestSigners.make(seed: 5)
        let signed = signer.sign(AuditCheckpoint(origin: "strongroom.example/audit", size: 3, rootHash: AuditHashing.emptyTreeRoot))
        let line = try #require(signed.signatures.first).line
        let token = String(line.dropLast().split(separator: " ").last!)
        #expect(token.hasSuffix("="), "key hash and signature: 68 bytes, one padding character")
        #expect(try NoteSignature(line: Substring(line.dropLast()), number: 1) == signed.signatures[0])
        for variant in Self.variants(of: token) where !variant.contains("\n") && !variant.hasPrefix(" ") {
            let text = line.dropLast().replacingOccurrences(of: token, with: variant)
            let error = #expect(throws: AuditError.malformedCheckpointCode, "\(variant.debugDescription)") {
                try NoteSignature(line: Substring(text), number: 1)
            }
            #expect(error?.message.contains("signature line 1") == true)
        }
        let flipped = signed.text.replacingOccurrences(of: token, with: Self.withUnusedBitsSet(token))
        #expect(throws: AuditError.malformedCheckpointCode) { try SignedCheckpoint(text: flipped) }
    }

    @Test func aCosignatureLineMustBeCanonical() throws {
        let seed = try SecretBytes(count: 32) { for i in 0..<32 { $0[i] = UInt8(i) } }
        let cosigner = try WitnessCosigner(name: "witness.test/w1", keyPair: Ed25519.KeyPair(seed: seed))
        let line = cosigner.cosign(AuditCheckpoint(origin: "o", size: 1, rootHash: AuditHashing.emptyTreeRoot), at: 1_700_000_000).line
        let token = String(line.dropLast().split(separator: " ").last!)
        #expect(token.hasSuffix("=="), "key ID, time and signature: 76 bytes, two padding characters")
        #expect(try NoteSignature.parseLines(line).count == 1)
        let flipped = line.replacingOccurrences(of: token, with: Self.withUnusedBitsSet(token))
        let error = #expect(throws: AuditError.malformedCheckpointCode) { try NoteSignature.parseLines(flipped) }
        #expect(error?.message.contains("unused bits") == true)
    }

    @Test func aVerifierKeyLineMustBeCanonical() throws {
        // A key whose base64 holds a '+' or '/', so that the URL-safe spelling differs.
        var found: AuditVerifierKey?
        for seed in UInt8(1)...UInt8(60) {
            let key = try AuditTestSigners.make(seed: seed).verifierKey
            let token = String(key.text.split(separator: "+", maxSplits: 2)[2])
            if token.contains("+") || token.contains("/") {
                found = key
                break
            }
        }
        let key = try #require(found)
        let token = String(key.text.split(separator: "+", maxSplits: 2)[2])
        #expect(try AuditVerifierKey(text: key.text) == key)
        let prefix = String(key.text.dropLast(token.count))
        for variant in Self.variants(of: token) {
            #expect(throws: AuditError.malformedKeyCode, "\(variant.debugDescription)") { try AuditVerifierKey(text: prefix + variant) }
        }
        // Whitespace around the whole key is refused too; a key file's lines are trimmed before they are read.
        #expect(throws: AuditError.malformedKeyCode) { try AuditVerifierKey(text: key.text + "\n") }
        let cosigner = try WitnessCosigner(name: "witness.test/w2", keyPair: Ed25519.KeyPair.generate())
        #expect(try WitnessVerifierKey(text: cosigner.verifierKey.text) == cosigner.verifierKey)
        #expect(throws: AuditError.malformedKeyCode) { try WitnessVerifierKey(text: cosigner.verifierKey.text + "=") }
    }

    @Test func aConsistencyProofLineMustBeCanonical() throws {
        let signer = try AuditTestSigners.make(seed: 6)
        let hash = AuditHashing.leafHash(Array("entry".utf8))
        let request = WitnessAddCheckpoint(
            oldSize: 1, proof: [hash], checkpoint: signer.sign(AuditCheckpoint(origin: "o", size: 2, rootHash: AuditHashing.emptyTreeRoot)))
        #expect(try WitnessAddCheckpoint(body: request.body) == request)
        let token = Base64.encode(hash)
        let text = String(decoding: request.body, as: UTF8.self)
        let flipped = text.replacingOccurrences(of: "old 1\n" + token, with: "old 1\n" + Self.withUnusedBitsSet(token))
        #expect(flipped != text)
        let error = #expect(throws: AuditError.malformedProofCode) { try WitnessAddCheckpoint(body: Array(flipped.utf8)) }
        #expect(error?.message.contains("canonical base64") == true)
    }
}
