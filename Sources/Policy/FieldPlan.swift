/// What a decision allows for one field of a resource.
public enum FieldDisposition: Sendable, Hashable {
    /// Decrypt and return the value.
    case reveal
    /// Decrypt, apply the style, return only the masked form.
    case mask(MaskStyle)
    /// Do not decrypt; leave the field out.
    case omit
}

/// The fields a decision allows: the union over all matching permits. Reveal beats mask; everything
/// not named is omitted, so it is never decrypted.
public struct FieldPlan: Sendable, Hashable, Codable {
    /// Fields revealed by name.
    public private(set) var revealed: Set<String>
    /// Fields masked by name, with their style (never also revealed).
    public private(set) var masked: [String: MaskStyle]
    /// When a permit said `reveal *`: the fields its own masks keep back (intersection over such permits).
    /// `nil` when no permit revealed everything.
    public private(set) var wildcardExceptions: Set<String>?

    /// The empty plan: every field omitted.
    public static let empty = FieldPlan(revealed: [], masked: [:], wildcardExceptions: nil)

    init(revealed: Set<String>, masked: [String: MaskStyle], wildcardExceptions: Set<String>?) {
        self.revealed = revealed
        self.masked = masked
        self.wildcardExceptions = wildcardExceptions
    }

    /// True when a permit revealed every field (`reveal *`).
    public var revealsAll: Bool { wildcardExceptions != nil }

    /// What to do with `field`.
    public func disposition(of field: String) -> FieldDisposition {
        if revealed.contains(field) { return .reveal }
        if let exceptions = wildcardExceptions, !exceptions.contains(field) { return .reveal }
        if let style = masked[field] { return .mask(style) }
        return .omit
    }

    /// The fields among `fields` that are revealed, masked and omitted, in input order.
    public func partition(_ fields: [String]) -> (revealed: [String], masked: [(String, MaskStyle)], omitted: [String]) {
        var result: (revealed: [String], masked: [(String, MaskStyle)], omitted: [String]) = ([], [], [])
        for field in fields {
            switch disposition(of: field) {
            case .reveal: result.revealed.append(field)
            case .mask(let style): result.masked.append((field, style))
            case .omit: result.omitted.append(field)
            }
        }
        return result
    }

    /// Adds one permit's grants: `reveals` by name, `masks` by name, and whether it said `reveal *`.
    mutating func merge(reveals: Set<String>, masks: [String: MaskStyle], wildcard: Bool) {
        revealed.formUnion(reveals)
        for (field, style) in masks {
            if let existing = masked[field], existing.strength >= style.strength { continue }
            masked[field] = style
        }
        if wildcard {
            let exceptions = Set(masks.keys)
            wildcardExceptions = wildcardExceptions.map { $0.intersection(exceptions) } ?? exceptions
        }
    }

    /// Drops masks that a reveal overrides, so `masked` lists only fields that end up masked.
    mutating func normalize() {
        for field in masked.keys where disposition(of: field) == .reveal { masked[field] = nil }
    }
}
