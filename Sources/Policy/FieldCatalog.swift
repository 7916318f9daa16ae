/// The personal fields policies may name, supplied by the layer above from the agency catalog.
///
/// ```swift
/// let fields = FieldCatalog(serviceFields: ["change-of-address": ["name", "new_address"]])
/// ```
public struct FieldCatalog: Sendable, Hashable {
    /// Service id → its field ids. These are the fields of a `request` record.
    public var serviceFields: [String: Set<String>]
    /// Resource type → extra field ids, added to any the schema lists (e.g. more `profile` fields).
    public var resourceFields: [String: Set<String>]

    public init(serviceFields: [String: Set<String>], resourceFields: [String: Set<String>] = [:]) {
        self.serviceFields = serviceFields
        self.resourceFields = resourceFields
    }
}
