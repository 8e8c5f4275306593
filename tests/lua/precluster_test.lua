-- cod.precluster: a set's candidates' clusterings run as worker tasks and give the same
-- results as running the candidates here.
local T = require("testlib")
local synth = require("cod.synth")
local predict = require("cod.predict")
local precluster = require("cod.precluster")
local recipes = require("cod.recipes")
local parallel = require("cod.parallel")

local ds = synth.paper_like({ seed = 4, scale = 0.12, anchors = 2, target_factor = 5 })
local job = predict.job(ds, "gsm8k_like", ds:select({}))

local function map(list, fn) return parallel.map(list, fn, { threads = 2 }) end

T.test("one task per distinct clustering; the candidates' results are unchanged", function()
  local cod, cod_f2, e2e = recipes.get("cod"), recipes.get("cod_f2"), recipes.get("e2e_exp")
  local dbscan = recipes.get("cod_dbscan")
  local calls = 0
  local pre = precluster.run({ cod, cod_f2, e2e, dbscan }, job, function(list, fn)
    calls = calls + #list
    return map(list, fn)
  end)
  T.eq(calls, 2, "cod and cod_f2 share a clustering; e2e_exp has none; dbscan has its own")
  for _, r in ipairs({ cod, cod_f2, dbscan }) do
    local here, there = r:run(job), precluster.recipe(r, pre):run(job)
    T.eq(there._state.labels, here._state.labels, r.name .. ": labels")
    T.eq(there.prediction, here.prediction, r.name .. ": prediction")
    T.eq(there.subset_prediction, here.subset_prediction, r.name .. ": subset prediction")
  end
  T.truthy(precluster.recipe(e2e, pre) == e2e)
end)

T.test("a clustering that fails in a task is left to its recipe, which fails as before", function()
  local bad = recipes.get("cod"):with({ cluster = { options = { quantile = -1 } } })
  local pre = precluster.run({ bad }, job, map)
  T.eq(next(pre), nil)
  T.truthy(precluster.recipe(bad, pre) == bad)
  T.truthy(not pcall(bad.run, bad, job))
end)

T.test("a replaced or transfer cluster stage is not precomputed", function()
  local mine = recipes.get("cod"):replace("cluster", function(j, st)
    st.labels = {}
    for i = 1, j.items do st.labels[i] = 1 end
  end)
  T.eq(next(precluster.run({ mine }, job, map)), nil)
  local transfer = recipes.get("cod"):with({ cluster = { labels = {} } })
  T.eq(next(precluster.run({ transfer }, job, map)), nil)
end)

T.done()
