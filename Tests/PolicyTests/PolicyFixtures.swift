import Foundation
import Testing

@testable import Policy

/// Shared fixtures: the real `Policies/` directory and the service fields the default set assumes.
enum PolicyFixtures {
    /// The repository root, found from this file (following the dev package's symlinks).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let policiesDirectory = repositoryRoot.appendingPathComponent("Policies").path
    static let tablesDirectory = repositoryRoot.appendingPathComponent("Policies/tests").path

    /// The field ids of the sample catalog (`Catalog/*.yaml`), passed in explicitly as the layer above does,
    /// plus a few extra names the synthetic rules in these tests use.
    static let fields = FieldCatalog(serviceFields: [
        "benefit-application": ["full_name", "national_id", "monthly_income", "household_size", "bank_account", "reason",
                                "employer_name", "applicant_name", "date_of_birth", "address", "email", "phone"],
        "change-of-address": ["new_address", "postcode", "move_date", "contact_email"],
        "fee-payment": ["payment_reference", "amount", "payer_email"],
        "class-registration": ["class_choice", "participant_name", "date_of_birth", "medical_notes"],
        "return-or-dispute": ["request_kind", "order_reference", "amount", "reason"],
        "health-plan-enrolment": ["employee_id", "plan", "dependants_count", "health_declaration", "has_conditions"],
        "report-submission": ["report_type", "period_start", "period_end", "summary", "report_file", "contact_phone"],
    ])

    static let loader = PolicyLoader(fields: fields)

    /// The default policy set, loaded once.
    static let defaultSet: PolicySet = {
        do {
            return try loader.load(directory: policiesDirectory)
        } catch {
            fatalError("the default policy set must load:\n\(error)")
        }
    }()

    static var gate: Gate { Gate(defaultSet) }

    /// The real schema and policy files, in memory.
    static let sources: (schema: PolicySource, policies: [PolicySource]) = {
        do {
            return try PolicyLoader.readDirectory(policiesDirectory)
        } catch {
            fatalError("cannot read \(policiesDirectory): \(error)")
        }
    }()

    /// The real schema, parsed once.
    static let schema: PolicySchema = {
        do {
            return try SchemaParser.parse(sources.schema.text, file: sources.schema.name)
        } catch {
            fatalError("\(error)")
        }
    }()

    /// Loads the real schema with the given policy text as the only policy file.
    static func load(_ policy: String, file: String = "test.policy") throws(PolicyLoadError) -> PolicySet {
        try loader.load(parsedSchema: schema, policies: [PolicySource(name: file, text: policy)])
    }

    /// The diagnostics of a policy that must not load.
    static func diagnostics(_ policy: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [PolicyDiagnostic] {
        do {
            _ = try load(policy)
            Issue.record("expected a load error for:\n\(policy)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics
        }
    }

    static let alice = Principal(id: "c-alice", roles: ["citizen"], kind: .citizen)
    static let carol = Principal(id: "s-carol", roles: ["caseworker"], kind: .staff, office: "north")
    static let sue = Principal(id: "s-sue", roles: ["supervisor"], kind: .staff, office: "north")
    static let benefit = Resource.request(owner: "c-alice", service: "benefit-application", office: "north")
    static let casework = Context(purpose: "case-handling", authStrength: "mfa")
}
