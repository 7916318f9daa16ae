import AuditLog
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The witness: answers tlog-witness `add-checkpoint` requests for the logs in its state, cosigning a checkpoint only
/// when it extends the last one cosigned for its origin, and persisting the new size before answering.
///
/// Checking and persisting happen under one lock, so two concurrent requests can never roll the witness back
/// (tlog-witness's race between a smaller and a larger checkpoint).
public final class WitnessService: Sendable {
    private let directory: WitnessDirectory
    private let cosigner: WitnessCosigner
    private let state: Mutex<WitnessStateFile>
    private let logger: Logger
    private let clock: @Sendable () -> UInt64

    /// An HTTP answer: status, content type and body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
    }

    /// Opens the witness in `directory`.
    ///
    /// - Parameter clock: POSIX seconds for cosignature timestamps (the system clock unless a test sets one).
    public init(directory: WitnessDirectory, logger: Logger, clock: @escaping @Sendable () -> UInt64 = WitnessService.systemSeconds) throws {
        self.directory = directory
        self.cosigner = try directory.loadCosigner()
        self.state = Mutex(try directory.loadState())
        self.logger = logger
        self.clock = clock
    }

    /// The witness's public key.
    public var verifierKey: WitnessVerifierKey { cosigner.verifierKey }

    /// Handles one `POST /add-checkpoint` body.
    public func addCheckpoint(body: [UInt8]) -> Response {
        let request: WitnessAddCheckpoint
        do {
            request = try WitnessAddCheckpoint(body: body)
        } catch let error as AuditError {
            return answer(.malformed(error.message), origin: nil)
        } catch {
            return answer(.malformed("the request does not parse"), origin: nil)
        }
        let origin = request.checkpoint.checkpoint.origin
        return state.withLock { state -> Response in
            let outcome = WitnessRules.decide(request, known: state.log(origin: origin))
            switch outcome {
            case .cosign(let updated):
                var next = state
                next.update(updated)
                if next != state {
                    do {
                        try directory.saveState(next)
                    } catch {
                        logger.error("witness state could not be saved; nothing was cosigned", metadata: ["error": "\(error)"])
                        return Response(status: 500, contentType: "text/plain; charset=utf-8", body: Array("the witness could not persist its state\n".utf8))
                    }
                    state = next
                }
                let line = cosigner.cosign(request.checkpoint.checkpoint, at: clock())
                logger.info("cosigned", metadata: ["origin": "\(origin)", "size": "\(updated.size)"])
                return Response(status: 200, contentType: "text/plain; charset=utf-8", body: Array(line.line.utf8))
            case .inconsistent, .conflict:
                if case .conflict = outcome, request.oldSize != state.log(origin: origin)?.size {
                    // A stale old size is ordinary (a submitter that restarted); same size with another root is not.
                    return answer(outcome, origin: origin)
                }
                directory.keepEvidence(body, size: request.checkpoint.checkpoint.size, now: clock())
                logger.critical("REFUSED: a checkpoint signed by the log does not extend what this witness cosigned; the request is kept as evidence",
                    metadata: ["origin": "\(origin)", "size": "\(request.checkpoint.checkpoint.size)", "cosigned": "\(state.log(origin: origin)?.size ?? 0)"])
                return answer(outcome, origin: origin)
            default:
                return answer(outcome, origin: origin)
            }
        }
    }

    private func answer(_ outcome: WitnessOutcome, origin: String?) -> Response {
        if case .conflict(let size) = outcome {
            return Response(status: 409, contentType: "text/x.tlog.size", body: Array("\(size)\n".utf8))
        }
        logger.notice("refused", metadata: ["status": "\(outcome.status)", "reason": "\(outcome.reason)"])
        return Response(status: outcome.status, contentType: "text/plain; charset=utf-8", body: Array((outcome.reason + "\n").utf8))
    }

    /// The state as it is now (for `witness show` and tests).
    public var currentState: WitnessStateFile { state.withLock { $0 } }

    /// POSIX seconds now.
    public static let systemSeconds: @Sendable () -> UInt64 = { UInt64(max(0, Date().timeIntervalSince1970)) }
}
