-- Mapping benchmark: mapping.fit for every method on n seeded points near a bent curve.
--   codlua bench/mapping_bench.lua [n=1000] [repeats=3] [noise=0.003]
-- Prints one line per method: n, method, best CPU time of `repeats` fits, lambda, RMSE, flags.
-- The time covers mapping.fit only (point generation excluded), including the Lua <-> C++
-- conversion of the points and of the result's merged-point table.

local mapping = require("cod.mapping")

local n = tonumber(arg[1]) or 1000
local repeats = tonumber(arg[2]) or 3
local noise = tonumber(arg[3]) or 0.003

math.randomseed(20251122)
local xs, ys = {}, {}
for i = 1, n do
  local x = math.random()
  -- Box–Muller normal noise around a curve below y = x (subset easier than the full set).
  local z = math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
  xs[i] = x
  ys[i] = math.min(1, math.max(0, x - 0.12 * x * (1 - x) + noise * z))
end

for _, method in ipairs(mapping.methods) do
  local best, r = math.huge, nil
  for _ = 1, repeats do
    local t0 = os.clock()
    r = mapping.fit(xs, ys, { method = method })
    best = math.min(best, os.clock() - t0)
  end
  print(("n=%d method=%-8s time=%.4f s lambda=%s rmse=%.5f monotone=%s forced=%s status=%s"):format(
    n, method, best, r.lambda and ("%.4g"):format(r.lambda) or "-", r.rmse, tostring(r.monotone),
    tostring(r.monotone_forced), r.status))
end
