--- Does backtesting on a seeded subsample of a large set's items keep the recommendation?
--- On synthetic ladders with known truth (cod.synth.ladder as bench/gen_predict_data.lua
--- makes them), `predict.run` with every item in the backtests against `backtest_items = K`:
--- the candidates' weights, the headline, its error against the truth and its interval, and
--- the time. bench/README.md, "Threads and bootstrap" (backtests on a subsample), has
--- the table this prints.
---
---   codlua bench/backtest_sample_eval.lua [--items 20000] [--sets 2] [--seeds 1,2,3] [--sample 10000] [--threads 2]

local args = require("cod.args")
local synth = require("cod.synth")
local predict = require("cod.predict")
local sys = require("cod.core.sys")

local spec = {
  usage = "codlua bench/backtest_sample_eval.lua [options]",
  { "items", "N", "items per set", number = true, integer = true, default = 20000 },
  { "sets", "N", "sets per ladder", number = true, integer = true, default = 2 },
  { "seeds", "S1,...", "ladder seeds", list = true, default = { "1", "2", "3" } },
  { "sample", "K", "items in the backtests' subsample", number = true, integer = true, default = 10000 },
  { "threads", "N", "workers", number = true, integer = true, default = 2 },
}
local o = args.parse_script(spec, arg, "backtest_sample_eval.lua")

local function weights_text(s)
  local parts = {}
  for _, c in ipairs(s.candidates) do
    parts[#parts + 1] = ("%s %.0f%%"):format(c.recipe:gsub("loss_intermediate", "loss"), 100 * (c.weight or 0))
  end
  return table.concat(parts, ", ")
end

print(("%d sets x %d items per ladder; backtests on all items vs a subsample of %d"):format(o.sets, o.items, o.sample))
print("| ladder seed | set | backtests | weights | headline | actual | error (pts) | 90% interval | wall s (run) |")
print("|---|---|---|---|---|---|---|---|---|")
local moved, width_ratio, n = 0, {}, 0
for _, seed_text in ipairs(o.seeds) do
  local seed = math.tointeger(tonumber(seed_text))
  local sets = {}
  for k = 1, o.sets do sets[k] = { name = "set-" .. k, items = o.items } end
  local ds = synth.ladder({ seed = seed, models = 8, min_flops = 1e18, max_flops = 1e21, anchors = 2,
    target_factor = 5, trials = 100, sets = sets })
  local reps, secs = {}, {}
  for _, variant in ipairs({ "all", "sample" }) do
    local t0 = sys.clock()
    reps[variant] = predict.run(ds, { threads = o.threads, progress = false,
      backtest_items = variant == "sample" and o.sample or 0 })
    secs[variant] = sys.clock() - t0
  end
  for i, s in ipairs(reps.all.sets) do
    local t = reps.sample.sets[i]
    for _, pair in ipairs({ { "all", s }, { ("%d"):format(o.sample), t } }) do
      local r = pair[2]
      print(("| %d | %s | %s | %s | %.2f | %.2f | %+.2f | %.2f–%.2f | %.1f |"):format(seed, r.name, pair[1],
        weights_text(r), 100 * r.prediction, 100 * r.actual, 100 * (r.prediction - r.actual), 100 * r.interval[1],
        100 * r.interval[2], pair[1] == "all" and secs.all or secs.sample))
    end
    moved = math.max(moved, math.abs(t.prediction - s.prediction))
    n = n + 1
    width_ratio[n] = (t.interval[2] - t.interval[1]) / (s.interval[2] - s.interval[1])
  end
end
table.sort(width_ratio)
print(("largest headline change %.2f points; interval width ratio (sample / all) %.3f to %.3f"):format(100 * moved,
  width_ratio[1], width_ratio[#width_ratio]))
