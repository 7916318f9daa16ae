import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What one run measured, with where and when: the JSON file for tools and the table for people.
struct BenchReport: Codable {
    struct Machine: Codable {
        var cpu: String
        var onlineCores: Int
        var kernel: String
        var memoryMiB: Int

        static var current: Machine {
            var info = utsname()
            uname(&info)
            let release = withUnsafeBytes(of: &info.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
                .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
            let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
            return Machine(cpu: model, onlineCores: sysconf(Int32(_SC_NPROCESSORS_ONLN)), kernel: "Linux " + release,
                           memoryMiB: pages * pageSize / (1024 * 1024))
        }
    }

    var date: String
    var mode: String
    var build: String
    var machine: Machine
    var seconds: Double
    var figures: [BenchFigure]

    var passed: Int { figures.filter { $0.pass == true }.count }
    var missed: Int { figures.filter { $0.pass == false }.count }

    func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// The table: each figure beside its floor, the cost ratio, the target and the verdict; then what each floor is.
    var table: String {
        let header = ["scenario", "figure", "value", "unit", "floor", "× floor", "target", "result"]
        var rows = [header]
        for figure in figures {
            rows.append([
                figure.scenario, figure.name, BenchFormat.number(figure.value), figure.unit,
                figure.floor.map(BenchFormat.number) ?? "—",
                figure.costRatio.map { BenchFormat.fixed($0, $0 >= 100 ? 0 : 2) } ?? "—",
                figure.target ?? "—",
                figure.pass.map { $0 ? "PASS" : "MISS" } ?? "n/a",
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [2, 4, 5]
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, text in
                let pad = String(repeating: " ", count: widths[column] - text.count)
                return rightAligned.contains(column) ? pad + text : text + pad
            }.joined(separator: "  ")
        }
        var out = "Strongroom benchmark — \(mode) run, \(build) build, \(date)\n"
        out += "\(machine.cpu), \(machine.onlineCores) cores online, \(machine.memoryMiB) MiB, \(machine.kernel); took \(BenchFormat.number(seconds)) s\n"
        out += "× floor = the figure's cost in multiples of the floor's (1.00 = as fast as the floor; for rates, floor ÷ figure)\n\n"
        out += line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        out += rows.dropFirst().map(line).joined(separator: "\n") + "\n\n"
        out += "Floors and notes:\n"
        for figure in figures {
            out += "  \(figure.name): floor = \(figure.floorDescription)"
            if let note = figure.note { out += "; \(note)" }
            out += "\n"
        }
        out += "\n\(passed) targets met, \(missed) missed, \(figures.count - passed - missed) figures without a target."
        return out
    }
}
