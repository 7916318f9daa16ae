import Catalog

/// The citizen profile's fields, defined like a catalog service so that the same validation applies.
public enum ProfileSchema {
    /// The collection profile fields are sealed under.
    public static let collection = "profiles"

    /// The profile "service": name (whole, or family name and given names), email, phone, postal address, national id, date of birth.
    public static let service = Service(
        id: "profile", title: "Profile", description: "The citizen's own details", version: 1, category: "profile",
        decisionOn: .review, retention: RetentionPeriod(count: 10, unit: .years), fee: nil,
        fields: [
            FieldDefinition(id: "name", label: "Full name", type: .text, sensitivity: .personal,
                            constraints: lengthLimits(1, 200)),
            // Family name and given names apart, so that both name orders (Hungarian: family name first) come out
            // right; `name` stays for profiles written before.
            FieldDefinition(id: "family_name", label: "Family name", type: .text, sensitivity: .personal,
                            constraints: lengthLimits(1, 100)),
            FieldDefinition(id: "given_names", label: "Given names", type: .text, sensitivity: .personal,
                            constraints: lengthLimits(1, 100)),
            // No profile field is searchable: nothing searches profiles, so a blind index would only let a database
            // reader link equal values.
            FieldDefinition(id: "email", label: "Email", type: .email, sensitivity: .personal),
            FieldDefinition(id: "phone", label: "Phone", type: .phone, sensitivity: .personal),
            FieldDefinition(id: "postal_address", label: "Postal address", type: .postalAddress, sensitivity: .personal),
            FieldDefinition(id: "national_id", label: "National identity number", type: .nationalID, sensitivity: .sensitive),
            FieldDefinition(id: "date_of_birth", label: "Date of birth", type: .date, sensitivity: .personal),
            // The language the citizen wants pages and messages in (a code such as `hu` or `en`; the portal offers
            // the agency's languages). Sealed like the rest: a preferred language can say something about a person.
            FieldDefinition(id: "language", label: "Preferred language", type: .text, sensitivity: .personal,
                            constraints: lengthLimits(2, 3)),
        ],
        rules: [], sourceFile: "(built in)")

    private static func lengthLimits(_ minimum: Int, _ maximum: Int) -> FieldConstraints {
        var constraints = FieldConstraints()
        constraints.minLength = minimum
        constraints.maxLength = maximum
        return constraints
    }
}
