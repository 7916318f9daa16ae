import CSodium
import Synchronization

/// Guarded memory for many small secrets: regions from `sodium_malloc` (guard pages around each region, `mlock`ed
/// where the OS allows), cut into fixed-size slots.
///
/// One `sodium_malloc` costs four kernel memory mappings, and Linux allows 65,530 per process by default, so a
/// process that gave every cached key its own allocation stopped after about 16,000 live keys (measured here: the
/// 16,346th live 32-byte secret failed; in the service, the 12,289th citizen could not be served). Here a region of
/// 2,048 slots costs four mappings, so a million live 32-byte keys take about 2,000 mappings and 32 MiB.
///
/// A freed slot is wiped (`sodium_memzero`) before it goes back on the free list. Regions are kept for reuse
/// (memory stays at the peak; the caches above bound how many keys live at once). What slots give up against one
/// allocation per secret: the guard pages and the canary surround a region, not each secret, so an overflow from
/// one slot would reach its neighbour rather than a guard page. Nothing in Strongroom writes into a secret after
/// it is made.
final class SecureSlab: Sendable {
    /// The slot size of this slab.
    let slotSize: Int
    /// Slots per region.
    let slotsPerRegion: Int
    private let state = Mutex<State>(State())

    private struct State {
        /// Free slots, as addresses (`UInt` so the state is Sendable; they point into the regions below).
        var free: [UInt] = []
        /// Every region's base address, never freed while the process runs.
        var regions: [UInt] = []
        var live = 0
    }

    init(slotSize: Int, slotsPerRegion: Int = 2048) {
        precondition(slotSize > 0 && slotSize % 16 == 0, "slots are multiples of 16 bytes, so each stays aligned")
        precondition(slotsPerRegion > 0, "a region has at least one slot")
        self.slotSize = slotSize
        self.slotsPerRegion = slotsPerRegion
    }

    /// The slab for secrets of up to 32 bytes (data keys, subject keys, derived keys).
    static let small = SecureSlab(slotSize: 32)
    /// The slab for secrets of 33 to 64 bytes (Ed25519 secret keys).
    static let medium = SecureSlab(slotSize: 64, slotsPerRegion: 1024)

    /// The slab a secret of `count` bytes goes to, or `nil` for a larger one (its own `sodium_malloc`).
    static func slab(for count: Int) -> SecureSlab? {
        if count <= small.slotSize { return small }
        if count <= medium.slotSize { return medium }
        return nil
    }

    /// A zeroed slot.
    ///
    /// - Throws: ``SodiumError/outOfMemory`` when no new region can be had.
    func allocate() throws -> UnsafeMutableRawPointer {
        try state.withLock { state in
            if state.free.isEmpty {
                let size = slotSize * slotsPerRegion
                guard let region = sodium_malloc(size) else { throw SodiumError.outOfMemory }
                sodium_memzero(region, size)
                let base = UInt(bitPattern: region)
                state.regions.append(base)
                state.free.reserveCapacity(state.free.count + slotsPerRegion)
                // Handed out from the start of the region.
                for index in (0..<slotsPerRegion).reversed() { state.free.append(base + UInt(index * slotSize)) }
            }
            state.live += 1
            return UnsafeMutableRawPointer(bitPattern: state.free.removeLast())!
        }
    }

    /// Wipes a slot and puts it back.
    func release(_ slot: UnsafeMutableRawPointer) {
        sodium_memzero(slot, slotSize)
        state.withLock { state in
            state.live -= 1
            state.free.append(UInt(bitPattern: slot))
        }
    }

    /// Slots in use and regions allocated (for tests and diagnostics).
    var usage: (live: Int, regions: Int) { state.withLock { ($0.live, $0.regions.count) } }
}
