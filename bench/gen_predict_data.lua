--- Write a synthetic dataset as items.csv + models.csv for the prediction benchmark
--- (bench/README.md, "Prediction end to end").
---
---   codlua bench/gen_predict_data.lua OUT_DIR [items_per_set=10000] [sets=8] [seed=1]
---
--- cod.synth.ladder: 8 ladder models (1e18..1e21 FLOPs), 2 anchors, a target at 5x the top,
--- `sets` sets of `items_per_set` items each with the default item mix, 100 trials per item
--- and model. items.csv is long form (benchmark,item_id,model,passrate,n_samples,n_correct),
--- one row per item and model, grouped by set then model as real exports are.

local synth = require("cod.synth")
local sys = require("cod.core.sys")

local out = arg[1]
if not out then
  io.stderr:write("usage: codlua bench/gen_predict_data.lua OUT_DIR [items_per_set=10000] [sets=8] [seed=1]\n")
  os.exit(2)
end
local n_items = math.tointeger(tonumber(arg[2] or 10000))
local n_sets = math.tointeger(tonumber(arg[3] or 8))
local seed = math.tointeger(tonumber(arg[4] or 1))
if not (n_items and n_items >= 1 and n_sets and n_sets >= 1 and seed) then
  io.stderr:write("gen_predict_data: items_per_set, sets and seed must be whole numbers >= 1\n")
  os.exit(2)
end
assert(sys.mkdir(out))

local sets = {}
for k = 1, n_sets do sets[k] = { name = "set-" .. k, items = n_items } end
local ds = synth.ladder({ seed = seed, models = 8, min_flops = 1e18, max_flops = 1e21, anchors = 2, target_factor = 5,
  trials = 100, sets = sets })

local f = assert(io.open(out .. "/models.csv", "wb"))
f:write("model,params,tokens,compute_flops,role,family,loss\n")
for _, m in ipairs(ds:models()) do
  f:write(("%s,%.10g,%.10g,%.10g,%s,%s,%.10g\n"):format(m.name, m.params, m.tokens, m.compute_flops, m.role,
    m.family, m.loss))
end
f:close()

f = assert(io.open(out .. "/items.csv", "wb"))
f:write("benchmark,item_id,model,passrate,n_samples,n_correct\n")
local rows = 0
for _, set in ipairs(ds:sets()) do
  local ids, models = ds:items(set), ds:set_models(set)
  local P, N = ds:pass(set), ds:trials(set)
  for j, m in ipairs(models) do
    local buf = {}
    for i, id in ipairs(ids) do
      local n = N:get(i, j)
      local k = math.floor(P:get(i, j) * n + 0.5)
      buf[i] = ("%s,%s,%s,%.6f,%d,%d"):format(set, id, m, k / n, n, k)
    end
    f:write(table.concat(buf, "\n"), "\n")
    rows = rows + #ids
  end
end
f:close()
io.stderr:write(("gen_predict_data: %d sets x %d items x %d models = %d rows in %s/items.csv\n"):format(n_sets,
  n_items, #ds:models(), rows, out))
