import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A small blocking HTTP/1.1 client on one keep-alive TCP connection to 127.0.0.1, for the crash test, the soak and
/// the bad-input load. It never retries: a request that fails on the wire is reported, because a retried create
/// would be a second create.
///
/// Not a general client: IPv4 loopback only, no TLS, no redirects. Bodies are read by `Content-Length` or chunked
/// transfer encoding; a response without either is read to the end of the connection.
final class LoopbackHTTPClient {
    /// One answer from the server.
    struct Response {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body parsed as a JSON object, or `nil` when it is not one.
        var jsonObject: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }

    let port: Int
    let timeoutSeconds: Int
    private var descriptor: Int32 = -1
    private var pending: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 15) {
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { close() }

    var isConnected: Bool { descriptor >= 0 }

    /// Opens the connection (done by the first request when needed).
    func connect() throws {
        if descriptor >= 0 { return }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackHTTPError("socket() failed: \(Self.errnoText())") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let text = Self.errnoText()
            Glibc.close(fd)
            throw LoopbackHTTPError("cannot connect to 127.0.0.1:\(port): \(text)", refused: true)
        }
        descriptor = fd
        pending = []
    }

    func close() {
        closeSocket()
        pending = []
    }

    /// Closes the socket but keeps bytes already received (a body read to the end of the connection).
    private func closeSocket() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends one request and reads its response. `body` is sent with a `Content-Length`; JSON unless a
    /// `content-type` header says otherwise.
    func send(
        _ method: String, _ path: String, token: String? = nil, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1:\(port)\r\n"
        if let token { head += "authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { head += "content-type: application/json\r\n" }
            head += "content-length: \(body.count)\r\n"
        }
        head += "\r\n"
        try connect()
        try write(Array(head.utf8) + (body ?? []))
        return try readResponse()
    }

    /// Sends one request with a JSON body built from `object`.
    func sendJSON(_ method: String, _ path: String, token: String? = nil, object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return try send(method, path, token: token, body: [UInt8](data))
    }

    /// Writes raw bytes and reads the answer even when the server stopped reading part-way (a server that refuses
    /// a huge body may answer and close before the body is sent). Returns `nil` when no answer came.
    func exchange(raw bytes: [UInt8]) -> Response? {
        do { try write(bytes, closeOnFailure: false) } catch {}
        guard descriptor >= 0 else { return nil }
        return try? readResponse()
    }

    /// Writes raw bytes on the connection (for malformed and trickled requests).
    func write(_ bytes: [UInt8], closeOnFailure: Bool = true) throws {
        try connect()
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let text = Self.errnoText()
                if closeOnFailure { close() }
                throw LoopbackHTTPError("write to 127.0.0.1:\(port) failed: \(text)")
            }
            offset += written
        }
    }

    /// Reads one response (status line, headers, body).
    func readResponse() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            close()
            throw LoopbackHTTPError("not an HTTP response: \(statusLine.prefix(80))")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let header = { (name: String) in headers.first { $0.name.lowercased() == name }?.value }
        var body: [UInt8] = []
        if let length = header("content-length").flatMap({ Int($0) }) {
            body = try readExactly(length)
        } else if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
                    close()
                    throw LoopbackHTTPError("bad chunk size line")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                body += try readExactly(size)
                _ = try readLine()
            }
        } else if status != 204 && status != 304 {
            body = try readToEnd()
        }
        if header("connection")?.lowercased() == "close" { close() }
        return Response(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed this connection (a zero-byte read without blocking).
    func peerHasClosed() -> Bool {
        guard descriptor >= 0 else { return true }
        var byte: UInt8 = 0
        let result = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if result == 0 { return true }
        if result < 0 { return !(errno == EAGAIN || errno == EWOULDBLOCK) }
        return false
    }

    // MARK: - Reading

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count > 0 {
                pending += chunk[0..<count]
                return
            }
            let text = count == 0 ? "connection closed by the server" : Self.errnoText()
            closeSocket()
            throw LoopbackHTTPError("read from 127.0.0.1:\(port) failed: \(text)")
        }
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                var line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard descriptor >= 0 else { throw LoopbackHTTPError("connection closed") }
            if pending.count > 65_536 {
                close()
                throw LoopbackHTTPError("header line longer than 64 KiB")
            }
            try fill()
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard descriptor >= 0 else { throw LoopbackHTTPError("connection closed") }
            try fill()
        }
        let out = Array(pending[0..<count])
        pending.removeFirst(count)
        return out
    }

    private func readToEnd() throws -> [UInt8] {
        while descriptor >= 0 {
            do { try fill() } catch { break }
        }
        defer { pending = [] }
        return pending
    }

    static func errnoText() -> String { String(cString: strerror(errno)) + " (errno \(errno))" }
}

/// A request that failed on the wire. `refused` is true when nothing was listening (the server is down).
struct LoopbackHTTPError: Error, CustomStringConvertible {
    let description: String
    let refused: Bool
    init(_ message: String, refused: Bool = false) {
        description = message
        self.refused = refused
    }
}
