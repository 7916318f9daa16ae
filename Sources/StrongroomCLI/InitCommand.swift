import ArgumentParser
import Keyring
import Strongroom

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `strongroom init`: creates the key directory, the data directory and the database.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the key directory (root key, data keys, audit signing key pair) and the database.",
        discussion: """
            Refuses to touch a key directory that already holds keys, because new keys would make existing data \
            unreadable. Back up the key directory and the data directory to different places.
            """
    )

    @OptionGroup var location: LocationOptions
    @OptionGroup var passphraseOptions: PassphraseOptions

    @Flag(name: .long, help: "Protect the root key file with a passphrase (from --passphrase-file or STRONGROOM_ROOT_PASSPHRASE).")
    var protectWithPassphrase = false

    @Flag(name: .long, help: "Overwrite an existing key directory. Everything sealed under the old keys becomes unreadable.")
    var force = false

    func validate() throws {
        if protectWithPassphrase && passphraseOptions.passphraseFile == nil && getenvString("STRONGROOM_ROOT_PASSPHRASE") == nil {
            throw ValidationError("--protect-with-passphrase needs --passphrase-file or STRONGROOM_ROOT_PASSPHRASE")
        }
    }

    func run() async throws {
        do {
            let protection: RootKeyProtection
            if protectWithPassphrase {
                // Never fall back to a plain root key when a passphrase was asked for: an empty or weak one is refused.
                guard let passphrase = try passphraseOptions.passphrase() else {
                    throw ValidationError("--protect-with-passphrase was given but the passphrase is empty; nothing was created")
                }
                try Self.checkStrength(passphrase)
                protection = .passphrase(passphrase)
            } else {
                protection = .plain
            }
            let report = try Bootstrap.initialize(
                keys: location.keyDirectory, dataDirectory: location.data, protection: protection, force: force)
            FileDescriptorOutput.standardOutput.write(report.render())
        } catch {
            throw fail("\(error)")
        }
    }
}

extension InitCommand {
    /// The least a root key passphrase must be: 16 characters or more, with at least 8 different ones (a long
    /// repetition such as "aaaaaaaaaaaaaaaa" or "abababababababab" is refused). Argon2id makes each guess slow; length
    /// makes the guesses many.
    static func checkStrength(_ passphrase: [UInt8]) throws {
        let text = String(decoding: passphrase, as: UTF8.self)
        guard text.count >= 16 else {
            throw ValidationError("the root key passphrase has \(text.count) characters; use at least 16 (a few unrelated words work well). Nothing was created")
        }
        guard Set(text).count >= 8 else {
            throw ValidationError("the root key passphrase repeats too few characters (\(Set(text).count) different); use at least 8 different ones. Nothing was created")
        }
    }
}

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}
