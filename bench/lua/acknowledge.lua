-- POST /api/v1/cases/{id}/transitions {"action":"acknowledge"} as the case's contractor, each
-- request on a different open case from BENCH_POOL ("case_id token" per line, shuffled).
-- BENCH_POOL_STATE holds how many cases earlier runs used, so that no case is acknowledged
-- twice; when the pool runs out the script starts over and the answers are 409 (counted in
-- non2xx). Run with one wrk thread (-t1): the counter is per thread.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local state_file = os.getenv("BENCH_POOL_STATE")
local pool = bench_lines(os.getenv("BENCH_POOL"))
local offset = 0
do
  local f = io.open(state_file, "r")
  if f then offset = tonumber(f:read("*l") or "0") or 0; f:close() end
end
local body = '{"action":"acknowledge"}'
issued = 0

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function request()
  local line = pool[((offset + issued) % #pool) + 1]
  issued = issued + 1
  local case_id, token = line:match("^(%S+)%s+(%S+)$")
  return wrk.format("POST", "/api/v1/cases/" .. case_id .. "/transitions", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function done(summary, latency, requests)
  local used = 0
  for _, t in ipairs(threads) do used = used + (t:get("issued") or 0) end
  local f = io.open(state_file, "w")
  f:write(tostring(offset + used) .. "\n")
  f:close()
  io.write(string.format("BENCH_POOL used=%d total_used=%d pool=%d\n", used, offset + used, #pool))
  bench_report(summary, latency)
end
