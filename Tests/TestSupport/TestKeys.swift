import AuditLog
import Keyring
import Sodium

/// A fresh key directory with a plain root key, in its own temporary directory.
public struct TestKeys: Sendable {
    public let temporary: TemporaryDirectory
    public let directory: KeyDirectory
    public let keyring: Keyring

    public init() throws {
        temporary = TemporaryDirectory(prefix: "strongroom-keys")
        directory = KeyDirectory(path: temporary.appending("Keys"))
        keyring = try Keyring.create(in: directory, protection: .plain) { publicKey in
            // A real verifier key file, as `init` writes it (the name is the installation's default key name).
            try AuditVerifierKey(name: "strongroom-audit", publicKey: publicKey).text
        }
    }
}
