-- GET as BENCH_TOKEN (an API token) or BENCH_COOKIE (a browser session, for the web pages):
-- the paths of BENCH_PATHS (a file, one per line) in turn, or BENCH_PATH.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local headers
if os.getenv("BENCH_COOKIE") then
  headers = { ["Cookie"] = "kz_session=" .. os.getenv("BENCH_COOKIE"), ["Accept"] = "text/html" }
else
  headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") }
end
local paths
if os.getenv("BENCH_PATHS") then
  paths = bench_lines(os.getenv("BENCH_PATHS"))
else
  paths = { os.getenv("BENCH_PATH") }
end
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

function done(summary, latency, requests)
  bench_report(summary, latency)
end
