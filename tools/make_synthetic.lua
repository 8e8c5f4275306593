-- Regenerates examples/synthetic: a paper-like synthetic ladder with known truth
-- (8 ladder models, 2 anchors, a target at 5x the largest ladder compute, 8 sets,
-- 100 samples per item). Deterministic: codlua tools/make_synthetic.lua examples/synthetic
local synth = require("cod.synth")
local data = require("cod.data")
local json = require("cod.json")
local dir = ... or "examples/synthetic"
local ds, truth = synth.paper_like({ seed = 2026, scale = 0.25, anchors = 2, target_factor = 5 })
assert(require("cod.core.sys").mkdir(dir))
data.write(ds, dir)
-- The truth: every model's expected full-set metric per set.
local t = { seed = truth.seed, models = truth.models, roles = truth.roles, sets = {} }
for _, name in ipairs(truth.set_names) do
  t.sets[name] = { metric = truth.sets[name].metric, counts = truth.sets[name].counts }
end
json.write_file(dir .. "/truth.json", t)
print(("%s: %s"):format(dir, tostring(ds)))
