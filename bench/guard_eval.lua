--- Measures the degenerate-fit guard (docs/recommend.md): `cod` (the paper's rule plus the
--- guard) against `cod_paper` (the paper's rule alone) on paper-like synthetic ladders, per
--- seed: mean and max FE over the sets, and how many clusters the guard rejected.
---
---   codlua bench/guard_eval.lua [--seeds N] [--first-seed S] [--scale S] [--target-factor F]

local args = require("cod.args")
local synth = require("cod.synth")
local predict = require("cod.predict")

local spec = {
  usage = "codlua bench/guard_eval.lua [options]",
  { "seeds", "N", "seeds", number = true, integer = true, default = 8 },
  { "first-seed", "S", "first seed", number = true, integer = true, default = 101 },
  { "scale", "S", "item-count scale", number = true, default = 0.25 },
  { "target-factor", "F", "target compute / ladder top", number = true, default = 5 },
  { "anchors", "N", "anchor models", number = true, integer = true, default = 2 },
}
local o, rest = args.parse(spec, { ... })
if not o then error(rest, 0) end

local totals = { cod = {}, cod_paper = {} }
local function summary(rep)
  local sum, max, degenerate = 0, 0, 0
  for _, s in ipairs(rep.sets) do
    sum = sum + s.fe
    max = math.max(max, s.fe)
    for _, c in ipairs(s.clusters or {}) do
      if c.rejected_by and c.rejected_by:find("degenerate", 1, true) then degenerate = degenerate + 1 end
    end
  end
  return sum / #rep.sets, max, degenerate
end
print(("%-6s %18s %18s %11s"):format("seed", "cod mean/max", "cod_paper mean/max", "degenerate"))
for seed = o.first_seed, o.first_seed + o.seeds - 1 do
  local ds = synth.paper_like({ seed = seed, scale = o.scale, anchors = o.anchors, target_factor = o.target_factor })
  local line = ("%-6d"):format(seed)
  local deg
  for _, name in ipairs({ "cod", "cod_paper" }) do
    local mean, max, d = summary(predict.run(ds, { recipe = name, candidates = { name }, backtest = false }))
    totals[name][#totals[name] + 1] = mean
    line = line .. ("   %7.2f / %6.2f"):format(mean, max)
    if name == "cod" then deg = d end
  end
  print(line .. ("   %8d"):format(deg))
end
local function avg(v)
  local s = 0
  for _, x in ipairs(v) do s = s + x end
  return s / #v
end
print(("%-6s   %7.2f            %7.2f"):format("mean", avg(totals.cod), avg(totals.cod_paper)))
