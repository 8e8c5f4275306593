--- The recommendation on the bundled real ladders (docs/recommend.md): per dataset and target,
--- mean / max FE and 90% coverage with the current defaults, no bootstrap. With --out, the
--- per-set records (the format of bench/recommend_eval.lua, setting = "data target") for
--- offline replay with bench/recommend_policies.lua.
---
---   codlua bench/recommend_real.lua [--out FILE.json] [--candidates A,B]   (from the source tree)
local args = require("cod.args")
local data = require("cod.data")
local json = require("cod.json")
local predict = require("cod.predict")

local spec = {
  usage = "codlua bench/recommend_real.lua [options]",
  { "out", "FILE", "write the per-set records here (JSON)" },
  { "candidates", "A,B", "candidate recipes (as codlua predict --candidates)", list = true },
  { "targets", "N", "backtest targets (cod.recommend.targets)", number = true, integer = true },
  { "lower-cuts", "N", "cuts below the lower targets (cod.recommend.lower_cuts)", number = true, integer = true },
  { "backtest-bin-seeding", nil, "the backtest cuts' Improved MeanShift uses bin seeding (predict.run's backtest_bin_seeding)" },
}
local o, rest = args.parse(spec, { ... })
if not o then error(rest, 0) end
local recommend = require("cod.recommend")
recommend.targets = o.targets or recommend.targets
recommend.lower_cuts = o.lower_cuts or recommend.lower_cuts

local cases = {
  { "data/bigbench-bigg", "BIG-G_T0_8b" }, { "data/bigbench-bigg", "BIG-G_T0_27b" }, { "data/bigbench-bigg", "BIG-G_T0_128b" },
  { "data/pythia-arith", "pythia-v0-12b-deduped(old:13b)@step143000" }, { "data/pythia-monkeys", "pythia-12b@step143000" },
  { "data/olmo2-ladder", "olmo2-7B-4T-anneal" }, { "data/olmo2-ladder", "olmo2-13B-5T" },
}
local records = {}
for _, c in ipairs(cases) do
  local ds = data.load(c[1])
  local rep = predict.run(ds, { target = c[2], progress = false, candidates = o.candidates,
    backtest_bin_seeding = o.backtest_bin_seeding or nil })
  local n, s, m, cov = 0, 0, 0, 0
  for _, r in ipairs(rep.sets) do
    if r.fe then
      n, s, m = n + 1, s + r.fe, math.max(m, r.fe)
      if r.interval and r.actual >= r.interval[1] and r.actual <= r.interval[2] then cov = cov + 1 end
      local rec = { setting = c[1]:gsub("^data/", "") .. " " .. c[2], seed = 0, set = r.name, actual = r.actual,
        prediction = r.prediction, fe = r.fe, interval = r.interval, distance = r.distance, candidates = {},
        single_answer = r.single_answer, items = #ds:items(r.name) }
      for _, x in ipairs(r.candidates or {}) do
        rec.candidates[#rec.candidates + 1] = { recipe = x.recipe, prediction = x.prediction, fe = x.fe,
          rate = x.backtest.rate, errors = x.backtest.errors }
      end
      records[#records + 1] = rec
    end
  end
  print(("%-22s %-16s sets %2d FE %.2f / %.2f covered %d/%d"):format(c[1], c[2], n, s / math.max(n, 1), m, cov, n))
end
if o.out then json.write_file(o.out, records) end
