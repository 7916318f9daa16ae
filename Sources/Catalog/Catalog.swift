/// An agency's e-services and branding, loaded and checked. A value: share it freely.
public struct Catalog: Sendable, Hashable {
    /// Services by id.
    public let services: [String: Service]
    /// Branding from `branding.yaml`.
    public let branding: Branding
    /// The exact texts loaded, by file name, so what is in force can be recorded by digest.
    public internal(set) var sources: [String: String] = [:]

    /// Creates a catalog; ``CatalogLoader`` is the usual source.
    public init(services: [Service], branding: Branding) {
        self.services = Dictionary(services.map { ($0.id, $0) }) { first, _ in first }
        self.branding = branding
    }

    /// The service with `id`, or `nil`.
    public func service(_ id: String) -> Service? { services[id] }

    /// Service ids in alphabetical order.
    public var serviceIDs: [String] { services.keys.sorted() }

    /// Every field id each service has ever had (all versions), for the policy schema check.
    public var serviceFieldIDs: [String: Set<String>] { services.mapValues(\.allFieldIDs) }
}
