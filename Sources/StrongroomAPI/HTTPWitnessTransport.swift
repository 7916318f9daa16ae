import NIOCore
import NIOHTTP1
import NIOPosix
import Strongroom

/// Reaches witnesses over HTTP/1.1 (one connection per submission, closed after it), with a deadline for the whole
/// exchange and a bound on the answer's size.
public struct HTTPWitnessTransport: WitnessTransport {
    let timeout: Duration
    static let maximumResponseLength = 64 * 1024

    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    public func addCheckpoint(_ body: [UInt8], to url: WitnessURL) async throws -> WitnessHTTPResponse {
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: WitnessHTTPResponse?.self) { group in
            group.addTask { try await Self.exchange(body, url: url) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw StrongroomError(.unavailable, code: "witness_timeout", message: "the witness at \(url) did not answer within \(timeout)")
            }
            return response
        }
    }

    private static func exchange(_ body: [UInt8], url: WitnessURL) async throws -> WitnessHTTPResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.addCheckpointPath)
            head.headers.add(name: "Host", value: url.port == 80 ? url.host : "\(url.host):\(url.port)")
            head.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            head.headers.add(name: "Content-Length", value: String(body.count))
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "User-Agent", value: "strongroom-witness-submitter")
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
            var status = 0
            var contentType: String?
            var received: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response):
                    status = Int(response.status.code)
                    contentType = response.headers.first(name: "Content-Type")
                case .body(let buffer):
                    guard received.count + buffer.readableBytes <= maximumResponseLength else {
                        throw StrongroomError(.unavailable, code: "witness_answer_too_long", message: "the witness at \(url) answered with more than \(maximumResponseLength) bytes")
                    }
                    received += buffer.readableBytesView
                case .end:
                    return WitnessHTTPResponse(status: status, contentType: contentType, body: received)
                }
            }
            throw StrongroomError(.unavailable, code: "witness_closed", message: "the witness at \(url) closed the connection before answering")
        }
    }
}
