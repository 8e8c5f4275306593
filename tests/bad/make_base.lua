-- Regenerates tests/bad/base/ (the small dataset the bad-input cases and the
-- reproducibility test start from): a synthetic ladder of 6 models, one anchor
-- and a target, two sets of 120 items, 100 trials per item.
--   codlua tests/bad/make_base.lua tests/bad/base
local synth = require("cod.synth")

local dir = assert(arg[1], "usage: codlua make_base.lua OUT_DIR")
local ds = synth.ladder({ seed = 7, models = 6, anchors = 1, trials = 100,
  sets = { { name = "alpha", items = 120 }, { name = "beta", items = 120 } } })

local rename = {}
local function name_of(m)
  return rename[m] or m
end
local models = ds:models()
local k = 0
for _, m in ipairs(models) do
  if m.role == "ladder" then
    k = k + 1
    rename[m.name] = "s" .. k
  elseif m.role == "anchor" then
    rename[m.name] = "anchor"
  else
    rename[m.name] = "target"
  end
end

local f = assert(io.open(dir .. "/models.csv", "wb"))
f:write("model,params,tokens,role,family,loss\n")
for _, m in ipairs(models) do
  f:write(("%s,%.6e,%.6e,%s,synth,%.4f\n"):format(name_of(m.name), m.params, m.tokens, m.role, m.loss))
end
f:close()

f = assert(io.open(dir .. "/items.csv", "wb"))
f:write("benchmark,item_id,model,passrate,n_samples,n_correct\n")
for _, set in ipairs(ds:sets()) do
  local P, N = ds:pass(set), ds:trials(set)
  local ids, names = ds:items(set), ds:set_models(set)
  for j, m in ipairs(names) do
    for i = 1, P:rows() do
      local n = math.tointeger(N:get(i, j))
      local c = math.floor(P:get(i, j) * n + 0.5)
      f:write(("%s,%s,%s,%.17g,%d,%d\n"):format(set, ids[i], name_of(m), c / n, n, c))
    end
  end
end
f:close()
