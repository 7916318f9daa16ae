/// The kind of value a service field holds.
///
/// The raw value is the spelling used in the catalog YAML (`type: postal_address`).
public enum FieldType: String, Sendable, Hashable, CaseIterable {
    case text
    case number
    case date
    case email
    case phone
    case postalAddress = "postal_address"
    case nationalID = "national_id"
    case money
    case choice
    case boolean
    case fileReference = "file_reference"

    /// The normalisation a blind index for this type uses, or `nil` when the type may not be searchable.
    ///
    /// Only exact-match types qualify: a blind index over a number, date, amount or yes/no answer
    /// would leak through its small set of possible values.
    public var blindIndexNormalization: BlindIndexNormalization? {
        switch self {
        case .email: .email
        case .nationalID: .nationalID
        case .phone: .phone
        case .text: .text
        case .choice, .fileReference: .exact
        case .number, .date, .postalAddress, .money, .boolean: nil
        }
    }
}
