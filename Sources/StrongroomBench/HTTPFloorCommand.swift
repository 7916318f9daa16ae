import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `strongroom-bench http-floor`: a bare Hummingbird server with two JSON routes and nothing else (no
/// authentication, no policy, no sealing, no database) — the HTTP floor the `http` scenario measures
/// `strongroom serve` against. It runs as its own process, like the real server, so that both are measured alike
/// (same wrk, same connections, the whole process's memory).
struct HTTPFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-floor",
        abstract: "Bare Hummingbird routes (the HTTP floor): POST /json decodes a body and answers 201, GET /json answers a small JSON, GET /html a static page.",
        discussion: "Prints `listening on http://127.0.0.1:PORT` when ready; stops on SIGTERM or SIGINT.")

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).") var port = 0
    @Option(help: "Size of the static page GET /html answers (the portal scenario's floor).") var htmlBytes = 6000

    /// Any JSON value: the floor decodes the same bodies the real server gets, generically, as it does.
    enum Value: Codable, Sendable {
        case string(String), number(Double), bool(Bool), object([String: Value]), array([Value]), null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else if let text = try? container.decode(String.self) { self = .string(text) }
            else if let array = try? container.decode([Value].self) { self = .array(array) }
            else { self = .object(try container.decode([String: Value].self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .string(text): try container.encode(text)
            case let .number(number): try container.encode(number)
            case let .bool(flag): try container.encode(flag)
            case let .object(object): try container.encode(object)
            case let .array(array): try container.encode(array)
            case .null: try container.encodeNil()
            }
        }
    }

    struct Reply: ResponseEncodable {
        let id: String
        let status: String
        let fields: [String: Value]
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let router = Router()
        let sample: [String: Value] = [
            "full_name": .object(["value": .string("Floor Applicant")]), "national_id": .object(["value": .string("1234567TW")]),
            "monthly_income": .object(["value": .string("EUR 1250.00")]), "household_size": .object(["value": .string("3")]),
        ]
        router.get("/json") { _, _ in Reply(id: "req_000000000000000000000000", status: "submitted", fields: sample) }
        let page = ByteBuffer(string: "<!DOCTYPE html><html lang=\"en\"><title>floor</title><p>" + String(repeating: "x", count: max(0, htmlBytes - 60)) + "</p></html>")
        router.get("/html") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: page))
        }
        router.post("/json") { request, context in
            let body = try await request.decode(as: [String: Value].self, context: context)
            guard case let .object(fields)? = body["fields"] else { throw HTTPError(.badRequest, message: "send fields") }
            return EditedResponse(status: .created, response: Reply(id: "req_000000000000000000000001", status: "submitted", fields: fields))
        }
        var logger = Logger(label: "strongroom-bench-http-floor")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "floor"),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
            }, logger: logger)
        try await app.runService()
    }
}
