--- The recommendation on the bundled real ladders (docs/recommend.md, second round): per
--- dataset and target, mean / max FE and 90% coverage, without the bias correction
--- (bias_shrink 0, the first-round policy) and with it (0.5). No bootstrap.
---
---   codlua bench/recommend_real.lua      (from the source tree)
local data = require("cod.data")
local predict = require("cod.predict")
local recommend = require("cod.recommend")
local cases = {
  { "data/bigbench-bigg", "BIG-G_T0_8b" }, { "data/bigbench-bigg", "BIG-G_T0_27b" }, { "data/bigbench-bigg", "BIG-G_T0_128b" },
  { "data/pythia-arith", "pythia-v0-12b-deduped(old:13b)@step143000" }, { "data/pythia-monkeys", "pythia-12b@step143000" },
  { "data/olmo2-ladder", "olmo2-7B-4T-anneal" }, { "data/olmo2-ladder", "olmo2-13B-5T" },
}
for _, shrink in ipairs({ 0, recommend.bias_shrink }) do
  recommend.bias_shrink = shrink
  for _, c in ipairs(cases) do
    local ds = data.load(c[1])
    local ok, rep = pcall(predict.run, ds, { target = c[2], progress = false })
    if not ok then print(c[1], c[2], "ERR", rep) else
      local n, s, m, cov, hw = 0, 0, 0, 0, {}
      for _, r in ipairs(rep.sets) do
        if r.fe then
          n, s, m = n + 1, s + r.fe, math.max(m, r.fe)
          if r.interval and r.actual >= r.interval[1] and r.actual <= r.interval[2] then cov = cov + 1 end
        end
      end
      print(("shrink %.1f %-22s %-16s sets %2d FE %.2f / %.2f covered %d/%d bias %.2f"):format(shrink, c[1], c[2], n,
        s / math.max(n, 1), m, cov, n, rep.recommendation_bias or 0))
    end
  end
end
