import Foundation

/// The Lua scripts wrk runs: each wrk thread walks the list of citizens' session tokens (and their requests), so
/// the load is spread over many signed-in citizens; request bodies carry a number unique to the thread and request.
enum WrkScripts {
    /// Gives each wrk thread its own number (`thread_number`, 1…) so bodies differ between threads.
    private static let threadNumbering = """
        local next_thread = 1
        function setup(thread)
          thread:set("thread_number", next_thread)
          next_thread = next_thread + 1
        end
        local counter = 0

        """

    private static func luaList(_ items: [String]) -> String {
        "{ " + items.map { "\"\($0)\"" }.joined(separator: ", ") + " }"
    }

    /// The JSON body of one sealed submission, as a Lua `string.format` template and its arguments (`n`).
    private static let submissionBody = """
        local function body(n)
          return string.format('{"service":"benefit-application","submit":true,"fields":{"full_name":"Http%d Applicant",'
            .. '"national_id":"%07dHX","monthly_income":"1250.00","household_size":3,'
            .. '"bank_account":"IE29AIBK93115212345678","reason":"Http%d: lost my job and need support"}}', n, n % 10000000, n)
        end

        """

    /// Sealed submissions: `POST path` with a session token from `tokens` and a fresh body each time.
    static func submissions(tokens: [String], path: String = "/v1/requests") -> String {
        threadNumbering + submissionBody + """
            local tokens = \(luaList(tokens))
            request = function()
              counter = counter + 1
              local n = (thread_number or 1) * 1000000 + counter
              local token = tokens[(counter % #tokens) + 1]
              return wrk.format("POST", "\(path)", { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. token }, body(n))
            end

            """
    }

    /// Reads of one's own request: `GET /v1/requests/ID` with the owner's token.
    static func reads(owned: [(token: String, id: String)]) -> String {
        threadNumbering + """
            local tokens = \(luaList(owned.map(\.token)))
            local ids = \(luaList(owned.map(\.id)))
            request = function()
              counter = counter + 1
              local i = (counter % #ids) + 1
              return wrk.format("GET", "/v1/requests/" .. ids[i], { ["authorization"] = "Bearer " .. tokens[i] })
            end

            """
    }

    /// The soak's mix, per 20 requests: 8 submissions, 8 reads of one's own request, 3 lists of one's requests and
    /// 1 service list, on wrk's keep-alive connections. (Connections that come and go are the soak's own churn
    /// client: wrk counts a server's close after `connection: close` as a read error.)
    /// Without `lists`, the 3 lists become reads of one's own request.
    static func soak(owned: [(token: String, id: String)], lists: Bool = true) -> String {
        threadNumbering + submissionBody + """
            local tokens = \(luaList(owned.map(\.token)))
            local ids = \(luaList(owned.map(\.id)))
            request = function()
              counter = counter + 1
              local i = (counter % #ids) + 1
              local auth = "Bearer " .. tokens[i]
              local slot = counter % 20
              if slot < 8 then
                local n = (thread_number or 1) * 1000000 + counter
                return wrk.format("POST", "/v1/requests", { ["content-type"] = "application/json", ["authorization"] = auth }, body(n))
              elseif slot < 16 then
                return wrk.format("GET", "/v1/requests/" .. ids[i], { ["authorization"] = auth })
              elseif slot < 19 then
                return wrk.format("GET", "\(lists ? "/v1/requests" : "/v1/requests/\" .. ids[i] .. \"")", { ["authorization"] = auth })
              else
                return wrk.format("GET", "/v1/services")
              end
            end

            """
    }

    /// Pages of the portal: `GET path` with a citizen's session cookie from `tokens`, one citizen after another.
    static func portalPage(tokens: [String], path: String) -> String {
        threadNumbering + """
            local tokens = \(luaList(tokens))
            request = function()
              counter = counter + 1
              local token = tokens[(counter % #tokens) + 1]
              return wrk.format("GET", "\(path)", { ["cookie"] = "__Host-sr-session=" .. token })
            end

            """
    }

    /// Writes `script` to `path` (mode 0600: it holds session tokens).
    static func write(_ script: String, to path: String) throws -> String {
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }
}
