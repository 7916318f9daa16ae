import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// How long a client may take to send a request, so slow clients cannot hold connections open forever.
///
/// The idle timeout alone does not do it: a client that trickles one byte of its headers every few seconds is never
/// idle. These deadlines bound the whole head and the whole request however the bytes arrive.
public struct RequestDeadlines: Sendable {
    /// From the connection's start, or the end of the previous response, until a request's head (request line and
    /// headers) has arrived.
    public var head: TimeAmount
    /// From the head until the request's last body byte has arrived.
    public var body: TimeAmount

    public init(head: TimeAmount, body: TimeAmount) {
        self.head = head
        self.body = body
    }

    /// 15 s for the head, 60 s for the body (the largest body the API accepts, 64 KiB, at about 1 KB/s).
    public static let standard = RequestDeadlines(head: .seconds(15), body: .seconds(60))
}

/// Closes a connection whose client misses a ``RequestDeadlines`` deadline. Sits after HTTP decoding, so it sees
/// whole request heads, body parts and ends; while a request is being handled (received, not yet answered) no
/// deadline runs — the client is waiting for us then.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadlines: RequestDeadlines
    private var timer: Scheduled<Void>?
    /// Between a request's head and its end.
    private var receiving = false
    /// Requests received in full and not yet answered (HTTP/1.1 pipelining can queue several).
    private var unanswered = 0

    init(deadlines: RequestDeadlines) {
        self.deadlines = deadlines
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(deadlines.head, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(deadlines.head, context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            receiving = true
            arm(deadlines.body, context: context)
        case .body:
            break
        case .end:
            receiving = false
            unanswered += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            // The next request's head is due now, unless one is already arriving or waiting for its answer.
            if unanswered == 0 && !receiving { arm(deadlines.head, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ deadline: TimeAmount, context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: deadline) {
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
