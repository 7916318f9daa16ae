import Foundation
import Sodium

/// The crash test's caseworker: a staff account that `scripts/crash-test.sh` creates with `strongroom staff add`
/// before the server starts (its output, the initial password and the authenticator URI, saved as
/// `STATE/staff-enrolment.txt`). Signed in once, with the one-time code computed from the enrolment secret as an
/// authenticator app would; the session is kept in `STATE/staff.json` so later rounds use it across crashes.
struct CrashStaff: Codable, Sendable {
    var login: String
    var token: String
    var accountID: String

    static func enrolmentPath(state: String) -> String { "\(state)/staff-enrolment.txt" }
    static func path(state: String) -> String { "\(state)/staff.json" }

    /// The signed-in caseworker, signing in on first use; `nil` when the state has no staff enrolment.
    static func loadOrSignIn(state: String, port: Int) throws -> CrashStaff? {
        if let data = FileManager.default.contents(atPath: path(state: state)) {
            return try JSONDecoder().decode(CrashStaff.self, from: data)
        }
        guard let text = try? String(contentsOfFile: enrolmentPath(state: state), encoding: .utf8) else { return nil }
        guard let login = value(after: "Created staff account ", in: text, upTo: " "),
            let password = value(after: "initial password: ", in: text, upTo: "\n"),
            let secret = value(after: "secret=", in: text, upTo: "&")
        else { throw BenchError("\(enrolmentPath(state: state)) is not the output of `strongroom staff add`") }
        let code = try oneTimeCode(base32Secret: secret, at: Date())
        let client = LoopbackHTTPClient(port: port, timeoutSeconds: 60)
        let response = try client.sendJSON("POST", "/v1/sessions", object: ["login": login, "password": password, "code": code])
        guard response.status == 201, let body = response.jsonObject, let token = body["token"] as? String,
            let accountID = body["account_id"] as? String
        else {
            throw BenchError("staff sign-in of \(login) answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        let staff = CrashStaff(login: login, token: token, accountID: accountID)
        try JSONEncoder().encode(staff).write(to: URL(fileURLWithPath: path(state: state)))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path(state: state))
        return staff
    }

    /// The RFC 6238 code for an `otpauth://` secret (base32, as the enrolment URI shows it).
    static func oneTimeCode(base32Secret: String, at date: Date) throws -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for character in base32Secret.uppercased().utf8 where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { throw BenchError("the enrolment secret is not base32") }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        let secret = try SecretBytes(count: bytes.count) { $0.copyBytes(from: bytes) }
        SecretBytes.wipe(&bytes)
        return TOTP.code(secret: secret, at: Int64(date.timeIntervalSince1970))
    }

    /// A value from an enrolment text, or an error naming the file.
    static func enrolmentValue(_ marker: String, upTo end: Character, in text: String, file: String) throws -> String {
        guard let found = value(after: marker, in: text, upTo: end), !found.isEmpty else {
            throw BenchError("\(file) is not the output of `strongroom staff add` or `staff bootstrap` (no \(marker.trimmingCharacters(in: .whitespaces)))")
        }
        return found
    }

    private static func value(after marker: String, in text: String, upTo end: Character) -> String? {
        guard let start = text.range(of: marker)?.upperBound else { return nil }
        let rest = text[start...]
        return String(rest.prefix { $0 != end && $0 != "\n" })
    }
}
