/// Turns the agency's plain-text pages (accessibility statement, privacy notice) into HTML.
///
/// Only a few shapes are understood, and everything is escaped first, so a page file can never inject markup:
/// `# Title` (the page's heading), `## Section`, `- item` lists, and paragraphs separated by blank lines.
enum PlainText {
    static func html(_ text: String) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var list: [String] = []
        func flush() {
            if !paragraph.isEmpty { out.append("<p>" + paragraph.joined(separator: " ") + "</p>") }
            if !list.isEmpty { out.append("<ul>" + list.map { "<li>\($0)</li>" }.joined() + "</ul>") }
            paragraph = []
            list = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = escape(String(raw).trimmingWhitespaceAtEnds)
            if line.isEmpty {
                flush()
            } else if line.hasPrefix("## ") {
                flush()
                out.append("<h2>" + line.dropFirst(3) + "</h2>")
            } else if line.hasPrefix("# ") {
                flush()
                out.append("<h1>" + line.dropFirst(2) + "</h1>")
            } else if line.hasPrefix("- ") {
                if !paragraph.isEmpty { flush() }
                list.append(String(line.dropFirst(2)))
            } else {
                if !list.isEmpty { flush() }
                paragraph.append(line)
            }
        }
        flush()
        return out.joined(separator: "\n")
    }

    /// HTML escaping for text and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension String {
    var trimmingWhitespaceAtEnds: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
