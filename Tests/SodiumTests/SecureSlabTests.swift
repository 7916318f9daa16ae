@testable import Sodium
import Testing

@Suite("Secure memory at scale")
struct SecureSlabTests {
    /// Linux allows 65,530 mappings per process by default and one `sodium_malloc` takes four, so about 16,000 live
    /// secrets was the ceiling when each had its own allocation. Far more must live at once now.
    @Test func farMoreLiveSecretsThanSeparateAllocationsCouldHold() throws {
        let count = 100_000
        let slab = SecureSlab(slotSize: 32)
        var secrets: [SecretBytes] = []
        secrets.reserveCapacity(count)
        for index in 0..<count {
            secrets.append(try SecretBytes(count: 32, slab: slab) { buffer in
                buffer.storeBytes(of: UInt64(index).bigEndian, as: UInt64.self)
                for offset in 8..<32 { buffer[offset] = UInt8(truncatingIfNeeded: index &* 31 &+ offset) }
            })
        }
        let during = slab.usage
        #expect(during.live == count)
        // A few dozen regions (four mappings each), not 100,000 allocations.
        #expect(during.regions == (count + slab.slotsPerRegion - 1) / slab.slotsPerRegion)
        for (index, secret) in secrets.enumerated() where index % 997 == 0 || index == count - 1 {
            secret.withUnsafeBytes { bytes in
                #expect(UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) == UInt64(index))
                #expect(bytes.count == 32 && bytes[31] == UInt8(truncatingIfNeeded: index &* 31 &+ 31))
            }
        }
        secrets.removeAll()
        #expect(slab.usage.live == 0)
        // And through the shared slab that SecretBytes uses by default, beside every other test.
        let shared = try (0..<count).map { index in try SecretBytes(count: 32) { $0.storeBytes(of: UInt32(index), as: UInt32.self) } }
        #expect(shared[count - 1].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } == UInt32(count - 1))
    }

    @Test func aReleasedSlotIsWipedBeforeItIsHandedOutAgain() throws {
        let slab = SecureSlab(slotSize: 32, slotsPerRegion: 4)
        let slot = try slab.allocate()
        slot.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 32)
        slab.release(slot)
        let again = try slab.allocate()
        #expect(again == slot, "the free list is last in, first out")
        let bytes = UnsafeRawBufferPointer(start: again, count: 32)
        #expect(bytes.allSatisfy { $0 == 0 })
        slab.release(again)
    }

    @Test func secretsOfEverySizeLiveWhereTheyShould() throws {
        for count in [1, 20, 32, 33, 64, 65, 4096] {
            let secret = try SecretBytes(count: count) { buffer in
                #expect(buffer.allSatisfy { $0 == 0 } || count > 64, "slots come zeroed")
                for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: index) }
            }
            #expect(secret.count == count)
            secret.withUnsafeBytes { bytes in #expect(bytes.count == count && bytes.last == UInt8(truncatingIfNeeded: count - 1)) }
        }
        #expect(SecureSlab.slab(for: 32) === SecureSlab.small)
        #expect(SecureSlab.slab(for: 64) === SecureSlab.medium)
        #expect(SecureSlab.slab(for: 65) == nil)
    }

    @Test func aFailingInitialiserGivesTheSlotBack() throws {
        struct Refused: Error {}
        let slab = SecureSlab(slotSize: 32, slotsPerRegion: 4)
        #expect(throws: Refused.self) { try SecretBytes(count: 32, slab: slab) { _ in throw Refused() } }
        #expect(slab.usage.live == 0)
    }

    @Test func slotsAreSharedSafelyAcrossThreads() async throws {
        let slab = SecureSlab(slotSize: 32, slotsPerRegion: 64)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var kept: [SecretBytes] = []
                    for round in 0..<5_000 {
                        let secret = try SecretBytes(count: 32, slab: slab) { $0.storeBytes(of: UInt32(worker << 16 | round & 0xffff), as: UInt32.self) }
                        if round % 3 == 0 { kept.append(secret) }
                    }
                    return kept.enumerated().allSatisfy { index, secret in
                        secret.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } == UInt32(worker << 16 | (index * 3) & 0xffff)
                    } ? kept.count : -1
                }
            }
            for try await kept in group { #expect(kept == 1667) }
        }
        #expect(slab.usage.live == 0)
    }
}
