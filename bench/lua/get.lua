-- GET as BENCH_TOKEN: the paths of BENCH_PATHS (a file, one per line) in turn, or BENCH_PATH.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") }
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
