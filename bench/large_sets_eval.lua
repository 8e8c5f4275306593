--- Does cod's large-set clustering mode (bin seeding, R estimated on a seeded subsample;
--- docs/cluster.md, "Large sets") lose accuracy against exact Improved MeanShift?
--- On synthetic ladders with known truth, `predict.run` with recipe cod alone (no backtests)
--- twice per dataset: exact clustering forced, and large-set mode forced (threshold 1). Per set:
--- cod's FE and EE (points), predictable ratio, clusters, prediction, and each run's wall time.
---
--- Criterion, fixed before the fresh seeds were run: large-set mode may become cod's default
--- above a threshold only if, over every measured set, (a) its mean |FE| is at most the exact
--- mode's + 0.1 points, (b) its mean |EE| likewise, and (c) no set's FE grows by more than 0.5
--- points.
---
---   codlua bench/large_sets_eval.lua --generator ladder --items 10000,20000 --seeds 1,2,3 [--json FILE]
---   codlua bench/large_sets_eval.lua --generator paper --scale 8 --sets math_like,agieval_like --seeds 1
---
--- ladder: cod.synth.ladder as bench/gen_predict_data.lua makes it (8 models 1e18..1e21, 2
--- anchors, target at 5x, 100 trials), one set of N items per dataset. paper: cod.synth.paper_like
--- (target at 30x, 100 trials) with every set's item count times `scale`.

local args = require("cod.args")
local synth = require("cod.synth")
local predict = require("cod.predict")
local recipes = require("cod.recipes")
local sys = require("cod.core.sys")
local json = require("cod.json")

local spec = {
  usage = "codlua bench/large_sets_eval.lua [options]",
  { "generator", "ladder|paper", "synthetic generator", default = "ladder" },
  { "items", "N1,...", "items per set (ladder)", list = true, default = { "10000" } },
  { "scale", "S", "item count multiplier (paper)", number = true, default = 8 },
  { "sets", "S1,...", "sets to predict (paper; default all)", list = true },
  { "seeds", "S1,...", "generator seeds", list = true, default = { "1", "2", "3" } },
  { "modes", "M1,...", "exact, large or both", list = true, default = { "exact", "large" } },
  { "threads", "N", "workers", number = true, integer = true, default = 2 },
  { "bandwidth-rows", "N", "rows large-set mode estimates R on (default cod.cluster's)", number = true, integer = true },
  { "json", "FILE", "append the rows to this JSON-lines file" },
}
local o = args.parse_script(spec, arg, "large_sets_eval.lua")

if o.bandwidth_rows then require("cod.cluster").large_set_bandwidth_rows = o.bandwidth_rows end

local exact_recipe = recipes.get("cod")
local large_recipe = exact_recipe:with({ cluster = { large_sets = 1 } })

local function datasets()
  local out = {}
  for _, seed_text in ipairs(o.seeds) do
    local seed = math.tointeger(tonumber(seed_text))
    if o.generator == "paper" then
      out[#out + 1] = { seed = seed, label = ("paper x%g"):format(o.scale), make = function()
        return synth.paper_like({ seed = seed, scale = o.scale })
      end }
    else
      for _, n_text in ipairs(o.items) do
        local n = math.tointeger(tonumber(n_text))
        out[#out + 1] = { seed = seed, label = ("ladder %d"):format(n), make = function()
          return synth.ladder({ seed = seed, models = 8, min_flops = 1e18, max_flops = 1e21, anchors = 2,
            target_factor = 5, trials = 100, sets = { { name = "set-1", items = n } } })
        end }
      end
    end
  end
  return out
end

local out = o.json and assert(io.open(o.json, "a"))
print("| data | seed | set | items | mode | clusters | predictable | FE (pts) | EE (pts) | prediction | R | wall s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for _, d in ipairs(datasets()) do
  local ds = d.make()
  for _, mode in ipairs(o.modes) do
    local t0 = sys.clock()
    local rep = predict.run(ds, { recipe = mode == "exact" and exact_recipe or large_recipe, backtest = false,
      exact_clustering = mode == "exact", threads = o.threads, progress = false, sets = o.sets })
    local secs = sys.clock() - t0
    for _, s in ipairs(rep.sets) do
      local f = s.clustering and s.clustering.facts or {}
      local row = { data = d.label, seed = d.seed, set = s.name, items = s.items, mode = mode,
        clustering = s.clustering and s.clustering.mode, n_clusters = f.n_clusters,
        predictable_ratio = s.predictable_ratio, fe = s.fe, ee = s.ee, prediction = s.prediction,
        actual = s.actual, bandwidth = f.bandwidth, wall_s = secs, sets_in_run = #rep.sets,
        fallback = s.fallback and s.fallback.recipe or nil }
      print(("| %s | %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %.1f |"):format(row.data, row.seed, row.set,
        row.items, row.mode, tostring(row.n_clusters),
        row.predictable_ratio and ("%.3f"):format(row.predictable_ratio) or "-",
        row.fe and ("%.2f"):format(row.fe) or "-", row.ee and ("%.2f"):format(row.ee) or "-",
        row.prediction and ("%.4f"):format(row.prediction) or "-", row.bandwidth and ("%.4f"):format(row.bandwidth) or "-",
        secs))
      if out then
        out:write(json.encode(row), "\n")
        out:flush()
      end
    end
  end
end
if out then assert(out:close()) end
