import ArgumentParser
import Catalog
import Foundation
import Policy

/// `strongroom policy check|explain|test`: for security officers keeping the access rules.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Check, explain and test the access policies.", subcommands: [Check.self, Explain.self, Test.self])

    struct Locations: ParsableArguments {
        @Option(name: .long, help: "The policy directory.") var policies: String = "./Policies"
        @Option(name: .long, help: "The catalog directory (service fields are part of the schema).") var catalog: String = "./Catalog"

        func fieldCatalog() throws -> FieldCatalog {
            do {
                return FieldCatalog(serviceFields: try CatalogLoader.load(directory: catalog).serviceFieldIDs)
            } catch {
                throw fail("the catalog does not load, so service fields are unknown: \(error)\nrun `strongroom catalog check` first")
            }
        }

        func load() throws -> PolicySet {
            do {
                return try PolicyLoader(fields: try fieldCatalog()).load(directory: policies)
            } catch let error as PolicyLoadError {
                throw fail("\(error)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate every policy file against the schema; exit 1 on any error.")
        @OptionGroup var locations: Locations

        func run() async throws {
            let report = PolicyCheck.run(directory: locations.policies, fields: try locations.fieldCatalog())
            let text = report.render()
            FileDescriptorOutput.standardOutput.write(text.hasSuffix("\n") ? text : text + "\n")
            if !report.passed { throw ExitCode(1) }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which rules match a request and why the others do not.",
            discussion: "Example: strongroom policy explain principal.roles=caseworker principal.kind=staff principal.office=central action=read resource.type=request resource.office=central resource.service=benefit-application context.purpose=case-handling context.auth_strength=mfa")
        @OptionGroup var locations: Locations
        @Argument(help: "key=value pairs describing principal, action, resource and context.") var pairs: [String] = []
        @Option(name: .long, help: "Read the request description as JSON from this file instead.") var json: String?

        func run() async throws {
            let set = try locations.load()
            let description: RequestDescription
            do {
                if let json {
                    description = try RequestDescription(json: String(contentsOfFile: json, encoding: .utf8))
                } else {
                    description = try RequestDescription(arguments: pairs, schema: set.schema)
                }
            } catch {
                throw ValidationError("\(error)")
            }
            let text = PolicyExplainer(set).explain(description).render()
            FileDescriptorOutput.standardOutput.write(text.hasSuffix("\n") ? text : text + "\n")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the decision tables in Policies/tests; exit 1 on any mismatch.")
        @OptionGroup var locations: Locations

        func run() async throws {
            let report = PolicyTestRunner(try locations.load()).run(directory: locations.policies + "/tests")
            let text = report.render()
            FileDescriptorOutput.standardOutput.write(text.hasSuffix("\n") ? text : text + "\n")
            if !report.passed { throw ExitCode(1) }
        }
    }
}

/// `strongroom catalog check`.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "Check the e-service catalog.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate every catalog file; errors name file, line and column. Exit 1 on any error.")
        @Option(name: .long, help: "The catalog directory.") var catalog: String = "./Catalog"

        func run() async throws {
            let check = CatalogCheck.run(directory: catalog)
            FileDescriptorOutput.standardOutput.write(check.render())
            if !check.passed { throw ExitCode(1) }
        }
    }
}
