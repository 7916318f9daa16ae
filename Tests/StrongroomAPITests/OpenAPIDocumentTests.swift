import Foundation
import Hummingbird
import Strongroom
import StrongroomAPI
import Testing
import Yams

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// Every route the router serves is in `openapi.yaml` with the same method, and the document has no route
    /// the router does not serve.
    @Test func routesAndDocumentAgree() throws {
        let fixture = try APIFixture()
        let router = buildRouter(installation: fixture.installation)
        let served = Set(router.routes.map { route -> String in
            let path = route.path.description
                .split(separator: "/", omittingEmptySubsequences: true)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                .joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        let text = try String(contentsOfFile: APIFixture.repositoryRoot + "/openapi.yaml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method) \(path)")
            }
        }
        #expect(served == documented, "served but undocumented: \(served.subtracting(documented).sorted()); documented but not served: \(documented.subtracting(served).sorted())")
    }
}
