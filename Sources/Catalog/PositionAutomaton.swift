/// The position (Glushkov) automaton of a pattern: one state per character of the pattern, a move from `p` to `q`
/// when `q` can follow `p`, reading a character of `q`'s set. A backtracking matcher tries every path of it that
/// reads a prefix of the value, so the pattern backtracks exponentially when the automaton is exponentially
/// ambiguous: some state can return to itself along two different paths that read the same text.
///
/// Counted repetitions are written out when that is small (`x{3}` as three copies, `x{1,3}` as `x(x(x)?)?`);
/// larger ones are widened to `x x*` (`(x x*)?` from 0), which matches more and is at least as ambiguous: a refusal
/// may be cautious, an acceptance is not optimistic. A single copy that loops merges
/// the paths of a loop nested in another (`(a+)+` has one position): the structural rules of ``PatternSafety``
/// refuse every unbounded repetition inside a repeated group first, so the loops left here never share a move.
struct PositionAutomaton {
    /// Each position's characters.
    private(set) var sets: [PatternCharacterSet] = []
    /// The outermost repetition that loops over each position (its source range), for messages.
    private(set) var loops: [Range<Int>?] = []
    /// The positions that can follow each position.
    private(set) var follow: [[Int]] = []
    private var followSets: [Set<Int>] = []

    /// What the matcher knows of a sub-pattern: whether it can match nothing, where a match can start and end.
    private struct Fragment {
        var nullable: Bool
        var first: [Int]
        var last: [Int]
        static let empty = Fragment(nullable: true, first: [], last: [])
    }

    /// Builds the automaton of `node`; the bodies of lookarounds are added to `lookarounds`, to be checked on their own.
    mutating func build(_ node: PatternNode, lookarounds: inout [PatternNode]) throws(PatternRefusal) {
        _ = try fragment(node, loop: nil, lookarounds: &lookarounds)
        follow = followSets.map { $0.sorted() }
    }

    private mutating func newPosition(_ set: PatternCharacterSet, loop: Range<Int>?) throws(PatternRefusal) -> Int {
        guard sets.count < PatternSafety.maximumPositions else { throw PatternRefusal.tooComplex }
        sets.append(set)
        loops.append(loop)
        followSets.append([])
        return sets.count - 1
    }

    private mutating func fragment(
        _ node: PatternNode, loop: Range<Int>?, lookarounds: inout [PatternNode]
    ) throws(PatternRefusal) -> Fragment {
        switch node {
        case .empty:
            return .empty
        case let .lookaround(body):
            lookarounds.append(body)
            return .empty
        case let .character(set, _):
            let position = try newPosition(set, loop: loop)
            return Fragment(nullable: false, first: [position], last: [position])
        case let .backreference(at):
            // Any text at all: a loop over every character.
            let range = loop ?? (at..<(at + 1))
            let position = try newPosition(.everything, loop: range)
            followSets[position].insert(position)
            return Fragment(nullable: true, first: [position], last: [position])
        case let .sequence(items):
            var result = Fragment.empty
            for item in items {
                let next = try fragment(item, loop: loop, lookarounds: &lookarounds)
                result = concatenate(result, next)
            }
            return result
        case let .alternation(branches, _):
            var result = Fragment(nullable: false, first: [], last: [])
            for branch in branches {
                let next = try fragment(branch, loop: loop, lookarounds: &lookarounds)
                result.nullable = result.nullable || next.nullable
                result.first += next.first
                result.last += next.last
            }
            return result
        case let .repetition(body, min, max, source):
            if max == 0 { return .empty }
            if max == 1 {
                var optional = try fragment(body, loop: loop, lookarounds: &lookarounds)
                optional.nullable = optional.nullable || min == 0
                return optional
            }
            let copies = body.positionCount
            if let max, copies <= 256 / max, sets.count + copies * max <= PatternSafety.maximumPositions / 2 {
                // Written out: `x{2,4}` as `x x (x (x)?)?`, which reads each text along as many paths as the original.
                var result = Fragment.empty
                for _ in 0..<min { result = concatenate(result, try fragment(body, loop: loop, lookarounds: &lookarounds)) }
                var tail = Fragment.empty
                for _ in min..<max {
                    tail = concatenate(try fragment(body, loop: loop, lookarounds: &lookarounds), tail)
                    tail.nullable = true
                }
                return concatenate(result, tail)
            }
            // One copy that loops: `x*`, `x+`, `x{m,}`.
            var looped = try fragment(body, loop: loop ?? source, lookarounds: &lookarounds)
            for end in looped.last {
                followSets[end].formUnion(looped.first)
            }
            if max == nil {
                looped.nullable = looped.nullable || min == 0
                return looped
            }
            // A counted repetition too large to write out, widened to `x x*` (`(x x*)?` when m = 0): a copy before the
            // loop, so that a loop around this one keeps its own paths apart from this one's.
            let leading = try fragment(body, loop: loop, lookarounds: &lookarounds)
            looped.nullable = true
            var result = concatenate(leading, looped)
            result.nullable = result.nullable || min == 0
            return result
        }
    }

    private mutating func concatenate(_ a: Fragment, _ b: Fragment) -> Fragment {
        for end in a.last {
            followSets[end].formUnion(b.first)
        }
        return Fragment(
            nullable: a.nullable && b.nullable,
            first: a.nullable ? a.first + b.first : a.first,
            last: b.nullable ? a.last + b.last : b.last)
    }

    /// The repetition around a loop that reads some text along two different paths, or `nil` when there is none.
    ///
    /// In the product of the automaton with itself (pairs of states, moving together on a character both accept), the
    /// automaton is exponentially ambiguous exactly when one strongly connected component holds a pair `(p, p)` and a
    /// pair `(q, r)` with `q ≠ r`: from `p` back to `p` there are then two different paths on one text, and a
    /// text that repeats it has exponentially many. Tarjan's algorithm, iterative, from every `(p, p)`.
    func exponentiallyAmbiguousLoop() throws(PatternRefusal) -> Range<Int>?? {
        let count = sets.count
        guard count > 0 else { return nil }
        var steps = 0
        func successors(_ node: Int) throws(PatternRefusal) -> [Int] {
            let (p, q) = node.quotientAndRemainder(dividingBy: count)
            var next: [Int] = []
            for a in follow[p] {
                for b in follow[q] where sets[a].overlaps(sets[b]) {
                    next.append(a * count + b)
                }
            }
            steps += follow[p].count * follow[q].count + 1
            if steps > PatternSafety.maximumProductSteps { throw PatternRefusal.tooComplex }
            return next
        }
        var order: [Int: Int] = [:]
        var lowest: [Int: Int] = [:]
        var onStack: Set<Int> = []
        var stack: [Int] = []
        var counter = 0
        for start in 0..<count where !follow[start].isEmpty {
            let diagonal = start * count + start
            guard order[diagonal] == nil else { continue }
            var work: [(node: Int, next: [Int], cursor: Int)] = []
            func visit(_ node: Int) throws(PatternRefusal) {
                order[node] = counter
                lowest[node] = counter
                counter += 1
                stack.append(node)
                onStack.insert(node)
                work.append((node, try successors(node), 0))
            }
            try visit(diagonal)
            while let top = work.last {
                if top.cursor < top.next.count {
                    let next = top.next[top.cursor]
                    work[work.count - 1].cursor += 1
                    if order[next] == nil {
                        try visit(next)
                    } else if onStack.contains(next), let seen = order[next] {
                        lowest[top.node] = min(lowest[top.node] ?? seen, seen)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last, let low = lowest[top.node] {
                    lowest[parent.node] = min(lowest[parent.node] ?? low, low)
                }
                guard lowest[top.node] == order[top.node] else { continue }
                var component: [Int] = []
                while let member = stack.popLast() {
                    onStack.remove(member)
                    component.append(member)
                    if member == top.node { break }
                }
                let diagonalMember = component.first { $0 / count == $0 % count }
                if let diagonalMember, component.contains(where: { $0 / count != $0 % count }) {
                    return .some(loops[diagonalMember / count])
                }
            }
        }
        return nil
    }
}

extension PositionAutomaton {
    /// Two loops, one after the other, that read some text along both (`a*a*`, `.*x.*`, `\w+\s*\w+`), or `nil`.
    ///
    /// Such a pattern is polynomially ambiguous: with k such loops in a row, a value of n characters that almost
    /// matches is read along about n^k paths, and Swift's matcher, which tries every start position for a
    /// `matches` rule, takes seconds on a few hundred characters (measured: `a*a*a*b` on 200 characters, 17 s). The
    /// criterion (Weber and Seidl): positions `p ≠ q` and a text `w` with `p →w p`, `p →w q` and `q →w q`; decided on
    /// the product of the automaton with itself three times, from `(p, p, q)` to `(p, q, q)`.
    func polynomiallyAmbiguousLoops() throws(PatternRefusal) -> (Range<Int>?, Range<Int>?)? {
        let count = sets.count
        guard count > 1 else { return nil }
        let component = stronglyConnectedComponents()
        // Positions on a cycle: a loop of the pattern.
        let looping = (0..<count).filter { p in follow[p].contains { component[$0] == component[p] } }
        guard looping.count > 1 else { return nil }
        var steps = 0
        for p in looping {
            let reachable = reachableFrom(p)
            for q in looping where q != p && component[q] != component[p] && reachable.contains(q) {
                if try tripleReaches(from: (p, p, q), to: (p, q, q), steps: &steps) { return (loops[p], loops[q]) }
            }
        }
        return nil
    }

    private func tripleReaches(from start: (Int, Int, Int), to goal: (Int, Int, Int), steps: inout Int) throws(PatternRefusal) -> Bool {
        let count = sets.count
        func id(_ x: Int, _ y: Int, _ z: Int) -> Int { (x * count + y) * count + z }
        let target = id(goal.0, goal.1, goal.2)
        var seen: Set<Int> = []
        var queue: [(Int, Int, Int)] = [start]
        var head = 0
        while head < queue.count {
            let (x, y, z) = queue[head]
            head += 1
            for a in follow[x] {
                for b in follow[y] where sets[a].overlaps(sets[b]) {
                    let ab = sets[a].intersection(sets[b])
                    for c in follow[z] where ab.overlaps(sets[c]) {
                        steps += 1
                        if steps > PatternSafety.maximumProductSteps { throw PatternRefusal.tooComplex }
                        let next = id(a, b, c)
                        if next == target { return true }
                        if seen.insert(next).inserted { queue.append((a, b, c)) }
                    }
                }
            }
        }
        return false
    }

    private func reachableFrom(_ start: Int) -> Set<Int> {
        var seen: Set<Int> = []
        var stack = follow[start]
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += follow[next] }
        }
        return seen
    }

    /// The strongly connected component of each position (Tarjan, iterative).
    private func stronglyConnectedComponents() -> [Int] {
        let count = sets.count
        var order = [Int](repeating: -1, count: count)
        var lowest = [Int](repeating: 0, count: count)
        var component = [Int](repeating: -1, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var counter = 0, components = 0
        for root in 0..<count where order[root] < 0 {
            var work: [(node: Int, cursor: Int)] = [(root, 0)]
            order[root] = counter; lowest[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let top = work.last {
                if top.cursor < follow[top.node].count {
                    let next = follow[top.node][top.cursor]
                    work[work.count - 1].cursor += 1
                    if order[next] < 0 {
                        order[next] = counter; lowest[next] = counter; counter += 1
                        stack.append(next); onStack[next] = true
                        work.append((next, 0))
                    } else if onStack[next] {
                        lowest[top.node] = Swift.min(lowest[top.node], order[next])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { lowest[parent.node] = Swift.min(lowest[parent.node], lowest[top.node]) }
                if lowest[top.node] == order[top.node] {
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component[member] = components
                        if member == top.node { break }
                    }
                    components += 1
                }
            }
        }
        return component
    }
}

extension PatternNode {
    /// How many positions the node adds to an automaton (counted repetitions written out), saturating.
    var positionCount: Int {
        switch self {
        case .empty, .lookaround: 0
        case .character, .backreference: 1
        case let .sequence(items): items.reduce(0) { Saturating.sum($0, $1.positionCount) }
        case let .alternation(branches, _): branches.reduce(0) { Saturating.sum($0, $1.positionCount) }
        case let .repetition(body, min, max, _):
            max.map { Saturating.product(body.positionCount, Swift.max($0, 1)) } ?? body.positionCount
        }
    }
}
