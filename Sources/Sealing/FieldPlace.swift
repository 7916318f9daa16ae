/// Where a sealed value belongs: its collection, its record and its field.
///
/// The place is bound into the ciphertext as associated data, so a value copied to another record or field
/// does not open.
public struct FieldPlace: Sendable, Hashable, CustomStringConvertible {
    public let collection: String
    public let recordID: String
    public let field: String

    public init(collection: String, recordID: String, field: String) {
        self.collection = collection
        self.recordID = recordID
        self.field = field
    }

    public var description: String { "\(collection)/\(recordID)/\(field)" }

    func validate() throws {
        for (name, part) in [("collection", collection), ("record id", recordID), ("field", field)] {
            guard !part.isEmpty, part.utf8.count <= 255 else {
                throw SealingError.invalidPlace("the \(name) of a field place must be 1 to 255 bytes")
            }
        }
    }
}
