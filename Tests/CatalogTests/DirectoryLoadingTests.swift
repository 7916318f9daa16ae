#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import Catalog

@Suite struct DirectoryLoadingTests {
    @Test func invalidUTF8AndYmlFilesInADirectory() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/catalog-test-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["branding.yaml", "logo.svg", "change-of-address.yaml"] {
            try FileManager.default.copyItem(atPath: Fixtures.sampleDirectory + "/" + name, toPath: directory + "/" + name)
        }
        #expect(try CatalogLoader.load(directory: directory).serviceIDs == ["change-of-address"])
        #expect(FileManager.default.createFile(atPath: directory + "/broken.yml", contents: Data([0x69, 0x64, 0x3A, 0x20, 0xFF, 0xFE, 0x0A])))
        let error = #expect(throws: CatalogError.self) { try CatalogLoader.load(directory: directory) }
        #expect(error?.diagnostics.map(\.kind) == [.unreadableFile])
        #expect(error?.diagnostics.first?.location.file == "broken.yml")
    }
}
