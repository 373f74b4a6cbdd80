-- wrk script: counts replies by kind across wrk's threads and prints one line at the end:
--   statuses ok=N shed=N ratelimit=N other=N
-- ok: 2xx; shed: 429; ratelimit: 429s whose body names the RATELIMIT reason; other: the rest.
-- An argument after `--` is a mean think time: milliseconds each connection waits between a reply
-- and its next request, drawn at random (exponentially distributed, as independent users' waits
-- are) so that connections do not fall into step; 0, back to back, by default. A fixed wait makes
-- the connections shed together come back together, in waves a think time apart.
-- Used by Scripts/bench-ratelimit and the BBR test (Tests/KratosHTTPTests/RateLimitTransportTests.swift).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, shed, ratelimit, other = 0, 0, 0, 0
  think = tonumber(args[1]) or 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function delay()
  if think <= 0 then return 0 end
  return math.floor(-think * math.log(1 - math.random()))
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 429 then
    shed = shed + 1
    if body and string.find(body, "RATELIMIT", 1, true) then ratelimit = ratelimit + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total = { ok = 0, shed = 0, ratelimit = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(total) do total[key] = total[key] + (thread:get(key) or 0) end
  end
  io.write(string.format("statuses ok=%d shed=%d ratelimit=%d other=%d\n", total.ok, total.shed, total.ratelimit, total.other))
end
