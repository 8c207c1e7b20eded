-- POST /api/v1/findings as the monitor, at the factories of BENCH_FACTORIES in turn: each is
-- shared by two contractors' contracts, so every finding is routed and opens two cases.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local token = os.getenv("BENCH_MONITOR_TOKEN")
local factories = bench_lines(os.getenv("BENCH_FACTORIES"))
local observed = os.date("!%Y-%m-%d", os.time() - 86400)
local severities = { "major", "minor", "critical", "major" }
local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}
local i = 0

function request()
  i = i + 1
  local body = string.format(
    '{"factory_id":"%s","category":"working_hours","severity":"%s",' ..
    '"title":"Excessive overtime (load %d)","description":"Workers report 72-hour weeks during the peak season; overtime is not voluntary.",' ..
    '"observed_on":"%s","evidence":[{"url":"https://evidence.example.org/load/%d","label":"Interview notes"}]}',
    factories[(i % #factories) + 1], severities[(i % 4) + 1], i, observed, i)
  return wrk.format("POST", "/api/v1/findings", headers, body)
end

function done(summary, latency, requests)
  bench_report(summary, latency)
end
