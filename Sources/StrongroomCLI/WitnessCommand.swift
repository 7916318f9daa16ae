import ArgumentParser
import AuditLog
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Witness

/// `strongroom witness`: an independent witness for Strongroom audit logs (C2SP tlog-witness), meant to be run by
/// another party — a data protection authority, an external auditor — on another machine.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run an independent witness that cosigns audit checkpoints only when they extend what it saw.",
        discussion: """
            A witness keeps, per log, the latest checkpoint it cosigned, and cosigns a new one only when given a valid \
            consistency proof from it (C2SP tlog-witness; cosignatures in the tlog-cosignature v1 format). A log \
            operator that rewrites history can sign the rewrite with its own key, but no honest witness will cosign \
            it, so `audit verify --witness` fails. See docs/witness.md.
            """,
        subcommands: [Init.self, AddLog.self, Serve.self, Show.self]
    )

    struct DirectoryOption: ParsableArguments {
        @Option(name: .long, help: "The witness directory (key, state, evidence); keep it on the witness's own machine.")
        var dir: String = "./witness"
        var directory: WitnessDirectory { WitnessDirectory(path: dir) }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the witness key and an empty state.")
        @OptionGroup var location: DirectoryOption
        @Option(name: .long, help: "The witness name in its cosignatures, e.g. dpa.example/witness.") var name: String

        func run() async throws {
            do {
                let key = try location.directory.initialize(name: name)
                FileDescriptorOutput.standardOutput.write("""
                    Witness created in \(location.dir).
                    Its public key (give it to the log operator for Keys/witnesses and to auditors for audit verify --witness):
                      \(key.text)
                    Next: strongroom witness add-log --dir \(location.dir) --origin ORIGIN --key LOG_PUBLIC_KEY_FILE

                    """)
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct AddLog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-log", abstract: "Witness a log: its origin and checkpoint public key (or add a key after a handover).")
        @OptionGroup var location: DirectoryOption
        @Option(name: .long, help: "The log's checkpoint origin.") var origin: String = "strongroom.local/audit"
        @Option(name: .long, help: "The log's checkpoint public key file (its Keys/audit-signing.pub).") var key: String

        func run() async throws {
            do {
                let keys = try AuditVerifierKey.load(fromFile: key)
                var state = try location.directory.loadState()
                var log = state.log(origin: origin) ?? WitnessedLog(origin: origin, keys: [])
                let added = keys.filter { !log.keys.contains($0) }
                log.keys += added
                state.update(log)
                try location.directory.saveState(state)
                FileDescriptorOutput.standardOutput.write(
                    "Witnessing \(origin): \(log.keys.count) key(s) trusted (\(added.count) added); cosigned so far: size \(log.size).\n")
            } catch {
                throw fail("\(error)")
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve POST /add-checkpoint (tlog-witness) over HTTP.")
        @OptionGroup var location: DirectoryOption
        @Option(name: .long, help: "Address to listen on.") var host: String = "127.0.0.1"
        @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8090

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        }

        func run() async throws {
            var logger = Logger(label: "strongroom-witness")
            logger.logLevel = .info
            let service: WitnessService
            do {
                service = try WitnessService(directory: location.directory, logger: logger)
            } catch {
                throw fail("\(error)")
            }
            let host = self.host
            let key = service.verifierKey
            let app = Application(
                router: WitnessRoutes.router(service: service),
                configuration: .init(address: .hostname(host, port: port), serverName: "Strongroom witness"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? 0
                    FileDescriptorOutput.standardOutput.write(
                        "Strongroom witness \(key.name) is listening on http://\(host):\(port)/add-checkpoint\n  key: \(key.text)\n")
                },
                logger: logger)
            try await app.runService()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the witness key and what it cosigned per log.")
        @OptionGroup var location: DirectoryOption

        func run() async throws {
            do {
                let key = try location.directory.loadCosigner().verifierKey
                let state = try location.directory.loadState()
                var out = "witness \(key.name)\n  key: \(key.text)\n"
                if state.logs.isEmpty { out += "  no logs yet: strongroom witness add-log\n" }
                for log in state.logs {
                    out += "log \(log.origin)\n  cosigned size: \(log.size)\n  root: \(log.rootHash.hexString)\n"
                    for logKey in log.keys { out += "  log key: \(logKey.text)\n" }
                }
                FileDescriptorOutput.standardOutput.write(out)
            } catch {
                throw fail("\(error)")
            }
        }
    }
}

/// The witness's HTTP routes: `POST /add-checkpoint` and a health check.
enum WitnessRoutes {
    static func router(service: WitnessService) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("add-checkpoint") { request, context -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: WitnessAddCheckpoint.maximumBodyLength)
            } catch {
                return plain(.contentTooLarge, "the request body is longer than \(WitnessAddCheckpoint.maximumBodyLength) bytes\n")
            }
            let answer = service.addCheckpoint(body: Array(buffer: body))
            var headers = HTTPFields()
            headers[.contentType] = answer.contentType
            return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        router.get("healthz") { _, _ in plain(.ok, "ok\n") }
        return router
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
