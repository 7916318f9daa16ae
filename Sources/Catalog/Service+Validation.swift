extension Service {
    /// Validates submitted values against the current version's fields and returns them typed and normalised.
    ///
    /// - Parameters:
    ///   - values: submitted values by field id; `.null` counts as absent.
    ///   - partial: `true` for drafts: missing required fields are allowed, everything present is still checked.
    ///   - today: the day relative date limits (`max: today`) are resolved against.
    /// - Returns: the normalised values of the fields that were present.
    /// - Throws: ``CatalogError/invalidSubmission(_:)`` listing every field problem; messages never
    ///   repeat a submitted value.
    ///
    /// ```swift
    /// let values = try service.validate(["postcode": .string("40123")])
    /// ```
    public func validate(
        _ values: [String: FieldInput], partial: Bool = false, today: CalendarDate = .today()
    ) throws(CatalogError) -> [String: FieldValue] {
        var issues: [FieldIssue] = []
        var output: [String: FieldValue] = [:]
        let current = fields
        let known = Set(current.map(\.id))
        for key in values.keys.sorted() where !known.contains(key) {
            // Only a key shaped like a field id is named back; anything else may be data pasted into a key.
            let looksLikeID = key.count <= 64 && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
            }
            let shown = looksLikeID ? key : "(unnamed)"
            issues.append(FieldIssue(field: shown, code: .unknownField,
                                     message: "is not a field of \(title); remove it or check the spelling"))
        }
        for field in current {
            let input = values[field.id] ?? .null
            switch field.validate(input, today: today) {
            case let .success(value?):
                output[field.id] = value
            case .success(nil):
                if field.required && !partial {
                    issues.append(FieldIssue(field: field.id, code: .missing,
                                             message: "\(field.messageLabel) is required; fill it in"))
                }
            case let .failure(issue):
                issues.append(issue)
            }
        }
        guard issues.isEmpty else { throw .invalidSubmission(issues) }
        return output
    }
}
