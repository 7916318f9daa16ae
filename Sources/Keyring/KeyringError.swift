/// An error from the key directory or key ring.
///
/// Messages say what failed and how to fix it; they never contain key bytes or passphrases.
public struct KeyringError: Error, CustomStringConvertible, Equatable, Sendable {
    enum Code: Equatable, Sendable {
        case directoryMissing, directoryPermissions, filePermissions, fileMissing, corruptFile
        case passphraseRequired, wrongPassphrase, alreadyInitialized, unknownKey, retiredKey
        case rootKeyMismatch, tampered, ioFailure, invalidArgument, rolledBack, rotationPending, rootRotatedElsewhere
    }

    let code: Code
    /// What failed and what to do about it.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public static func == (lhs: KeyringError, rhs: KeyringError) -> Bool { lhs.code == rhs.code }

    static func directoryMissing(_ path: String) -> KeyringError {
        KeyringError(.directoryMissing, "key directory \(path) does not exist; run `strongroom init --keys \(path)` to create it, or pass --keys with the right path")
    }
    static func directoryPermissions(_ path: String, mode: UInt32) -> KeyringError {
        KeyringError(.directoryPermissions, "key directory \(path) has mode \(octal(mode)) and is accessible to other users; run `chmod 700 \(path)`")
    }
    static func filePermissions(_ path: String, mode: UInt32) -> KeyringError {
        KeyringError(.filePermissions, "key file \(path) has mode \(octal(mode)): group or others can read or write it, so it is refused; run `chmod 600 \(path)` and check who may have copied it")
    }
    static func fileOwner(_ path: String) -> KeyringError {
        KeyringError(.filePermissions, "key file \(path) is owned by another user, so it is refused; run `chown` to give it to the service account")
    }
    static func fileMissing(_ path: String) -> KeyringError {
        KeyringError(.fileMissing, "key file \(path) is missing; restore it from the key backup (never from the data backup)")
    }
    static func corrupt(_ path: String, _ detail: String) -> KeyringError {
        KeyringError(.corruptFile, "key file \(path) is corrupt or truncated (\(detail)); restore it from the key backup")
    }
    static let passphraseRequired = KeyringError(.passphraseRequired, "the root key is protected by a passphrase; set STRONGROOM_ROOT_PASSPHRASE or pass --passphrase-file")
    static let wrongPassphrase = KeyringError(.wrongPassphrase, "the passphrase does not unlock the root key; check it and try again")
    static func alreadyInitialized(_ path: String) -> KeyringError {
        KeyringError(.alreadyInitialized, "key directory \(path) already holds keys; refusing to overwrite them (that would make existing data unreadable). Use another --keys path, or --force if you really mean to destroy these keys")
    }
    static func unknownKey(_ id: String, _ version: UInt32?) -> KeyringError {
        let what = version.map { "\(id) version \($0)" } ?? id
        return KeyringError(.unknownKey, "no key \(what) in the key ring; the data was sealed under a key this key directory does not have")
    }
    static func retired(_ id: String, _ version: UInt32, minimum: UInt32) -> KeyringError {
        KeyringError(.retiredKey, "key \(id) version \(version) is retired (minimum version \(minimum)); the data must be rewrapped with `strongroom keys rewrap` before it can be read")
    }
    static let rootKeyMismatch = KeyringError(.rootKeyMismatch, "the key ring was made under a different root key; restore the matching root.key from the key backup")
    static func tampered(_ path: String) -> KeyringError {
        KeyringError(.tampered, "the key ring file \(path) failed its integrity check: it was edited or damaged; restore it from the key backup")
    }
    static func io(_ what: String, errno: Int32) -> KeyringError {
        KeyringError(.ioFailure, "\(what) failed (errno \(errno)); check disk space and permissions")
    }
    static func invalidArgument(_ what: String) -> KeyringError { KeyringError(.invalidArgument, what) }
    static func rolledBack(_ path: String, _ detail: String) -> KeyringError {
        KeyringError(.rolledBack, "the key ring file \(path) was replaced by an older one (\(detail)); the key ring in memory stays in force. Restore the newest key ring from the key backup")
    }
    static func rootRotatedElsewhere(_ detail: String) -> KeyringError {
        KeyringError(.rootRotatedElsewhere, "the root key was rotated by another process and cannot be followed here: \(detail)")
    }
    static func rotationPending(_ detail: String) -> KeyringError {
        KeyringError(.rotationPending, "a root key rotation was interrupted after it committed and cannot be finished yet: \(detail)")
    }

    public static let directoryMissingCode = KeyringError(.directoryMissing, "")
    public static let directoryPermissionsCode = KeyringError(.directoryPermissions, "")
    public static let filePermissionsCode = KeyringError(.filePermissions, "")
    public static let fileMissingCode = KeyringError(.fileMissing, "")
    public static let corruptFileCode = KeyringError(.corruptFile, "")
    public static let passphraseRequiredCode = passphraseRequired
    public static let wrongPassphraseCode = wrongPassphrase
    public static let alreadyInitializedCode = KeyringError(.alreadyInitialized, "")
    public static let unknownKeyCode = KeyringError(.unknownKey, "")
    public static let retiredKeyCode = KeyringError(.retiredKey, "")
    public static let rootKeyMismatchCode = rootKeyMismatch
    public static let tamperedCode = KeyringError(.tampered, "")
    public static let rolledBackCode = KeyringError(.rolledBack, "")
    public static let rotationPendingCode = KeyringError(.rotationPending, "")
    public static let rootRotatedElsewhereCode = KeyringError(.rootRotatedElsewhere, "")
    public static let invalidArgumentCode = KeyringError(.invalidArgument, "")
}

private func octal(_ mode: UInt32) -> String { "0" + String(mode & 0o7777, radix: 8) }
