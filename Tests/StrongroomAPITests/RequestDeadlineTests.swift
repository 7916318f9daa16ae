#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StrongroomAPI
import Testing

/// Slow clients are cut off: a head or a body trickled in past its deadline closes the connection, while a client
/// that keeps to the deadlines is served on one connection as long as it likes. Over a real socket: the deadlines
/// live in the channel pipeline, which in-process router tests do not have.
@Suite("Request deadlines")
struct RequestDeadlineTests {
    /// Short, so a trickling client is cut off quickly. The upper bounds below are loose on purpose: the suite runs
    /// tests in parallel on two cores beside other builds, and without the deadlines a trickling client is never cut
    /// off at all. Each trickle lasts at least 40 s (one byte per 100 ms poll), so a cut-off within 20 s can only be
    /// the deadline's doing, however late a loaded machine runs it.
    static let short = RequestDeadlines(head: .milliseconds(400), body: .milliseconds(800))
    static let trickledBytes = 400
    static let cutOffWithin = Duration.seconds(20)

    func withServer(
        deadlines: RequestDeadlines = Self.short, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let fixture = try APIFixture()
        let app = buildApplication(
            installation: fixture.installation, host: "127.0.0.1", port: 0, logger: Logger(label: "deadline-test"),
            deadlines: deadlines)
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    @Test("a head trickled one byte at a time is cut off at its deadline")
    func slowHeadIsCutOff() async throws {
        try await withServer { port in
            let (closed, elapsed) = try await onClientThread {
                // The head deadline runs from the server's accept, which comes after the connect starts: timed from
                // here, the lower bound holds however long the client thread is held up.
                let started = ContinuousClock.now
                let socket = try RawSocket(port: port)
                let trickle = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".utf8)
                    + Array(repeating: UInt8(ascii: "a"), count: Self.trickledBytes)
                for byte in trickle where !socket.send([byte]) || socket.isClosedByPeer(waiting: .milliseconds(100)) {
                    return (true, ContinuousClock.now - started)
                }
                return (false, ContinuousClock.now - started)
            }
            #expect(closed, "the server still listened after \(elapsed)")
            #expect(elapsed >= .milliseconds(350) && elapsed < Self.cutOffWithin, "closed after \(elapsed)")
        }
    }

    @Test("a body trickled past its deadline is cut off, without an answer")
    func slowBodyIsCutOff() async throws {
        try await withServer { port in
            let (sentHead, closed, elapsed) = try await onClientThread {
                let socket = try RawSocket(port: port)
                let head = "POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(Self.trickledBytes)\r\n\r\n"
                // The body deadline runs from the server's reading of the head, which comes after the send starts.
                let started = ContinuousClock.now
                let sentHead = socket.send(Array(head.utf8))
                for _ in 0..<Self.trickledBytes where !socket.send([UInt8(ascii: " ")]) || socket.isClosedByPeer(waiting: .milliseconds(100)) {
                    return (sentHead, true, ContinuousClock.now - started)
                }
                return (sentHead, false, ContinuousClock.now - started)
            }
            #expect(sentHead)
            #expect(closed, "the server still listened after \(elapsed)")
            #expect(elapsed >= .milliseconds(700) && elapsed < Self.cutOffWithin, "closed after \(elapsed)")
        }
    }

    @Test("a client within the deadlines is served on one connection; the head deadline starts after each answer")
    func keepAliveWithinDeadlinesIsServed() async throws {
        // A head deadline of 4 s, and pauses of 1 s between requests: 6 s in all, more than one deadline, while each
        // pause leaves 3 s for a loaded machine to run the client late.
        try await withServer(deadlines: RequestDeadlines(head: .seconds(4), body: .seconds(8))) { port in
            let (answers, closedWhenSilent) = try await onClientThread {
                let socket = try RawSocket(port: port)
                let request = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
                var answers: [String] = []
                for _ in 0..<6 {
                    answers.append(socket.send(request) ? socket.receiveHead(waiting: .seconds(60)) : "(send failed)")
                    usleep(1_000_000)
                }
                // Silent past the head deadline after an answer: closed.
                return (answers, socket.isClosedByPeer(waiting: .seconds(60)))
            }
            for (round, answer) in answers.enumerated() {
                #expect(answer.hasPrefix("HTTP/1.1 200"), "round \(round): \(answer.prefix(40))")
            }
            #expect(closedWhenSilent)
        }
    }

    /// Runs the socket work on a thread of its own: it blocks (poll, sleep), and its timing must not depend on how
    /// busy Swift's cooperative pool or Dispatch's worker threads are while the rest of the suite runs.
    func onClientThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// A blocking TCP client for tests that need byte-level control over what a server receives.
final class RawSocket {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawSocketError()
        }
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; `false` once the peer has closed.
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
    }

    /// Waits up to `waiting` for the peer to close (end of stream or reset); data that arrives meanwhile is read
    /// and dropped.
    func isClosedByPeer(waiting: Duration) -> Bool {
        let deadline = ContinuousClock.now + waiting
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return true }
        }
        return false
    }

    /// Reads until the end of a response head (or `waiting` passes) and returns what arrived, as text.
    func receiveHead(waiting: Duration) -> String {
        let deadline = ContinuousClock.now + waiting
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                // Drain the body (Content-Length) so the next round starts clean.
                let head = text[..<end.lowerBound]
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count - text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound.samePosition(in: text.utf8)!) >= length {
                    return text
                }
            }
        }
        return String(decoding: received, as: UTF8.self)
    }
}

struct RawSocketError: Error {}
