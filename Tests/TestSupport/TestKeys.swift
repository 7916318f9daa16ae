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
        keyring = try Keyring.create(in: directory, protection: .plain) { publicKey in "test+" + publicKey.hexString }
    }
}
