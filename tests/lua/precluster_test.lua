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

-- Every law fit of a state, as plain numbers (a fit evaluated where it is: the type came back).
local function fits_of(st)
  local out = {}
  for k, c in ipairs(st.clusters or {}) do
    out[k] = { c.label, c.size, c.fit.ok, c.fit.fit_params, c.fit.sse, c.extrapolatable, c.prediction,
      c.fit.ok and c.fit:eval(job.target_C) or false }
  end
  for _, name in ipairs({ "e2e_fit", "loss_fit", "metric_fit" }) do
    local f = st[name]
    if f then out[name] = { f.ok, f.fit_params, f.sse, f.ok and f:eval(job.target_C) or false } end
  end
  return out
end

T.test("one task per distinct clustering and first fit; the candidates' results are unchanged", function()
  local cod, cod_f2, e2e = recipes.get("cod"), recipes.get("cod_f2"), recipes.get("e2e_exp")
  local dbscan, bnsl = recipes.get("cod_dbscan"), recipes.get("bnsl")
  local calls = 0
  local pre = precluster.run({ cod, cod_f2, e2e, dbscan, bnsl, e2e }, job, function(list, fn)
    calls = calls + #list
    return map(list, fn)
  end)
  T.eq(calls, 4, "cod and cod_f2 share a clustering (two fits); dbscan has its own; e2e_exp and bnsl one each")
  for _, r in ipairs({ cod, cod_f2, dbscan, e2e, bnsl }) do
    local here, there = r:run(job), precluster.recipe(r, pre):run(job)
    T.truthy(precluster.recipe(r, pre) ~= r, r.name .. ": precomputed")
    T.eq(there._state.labels, here._state.labels, r.name .. ": labels")
    T.eq(fits_of(there._state), fits_of(here._state), r.name .. ": law fits")
    T.eq(there.prediction, here.prediction, r.name .. ": prediction")
    T.eq(there.subset_prediction, here.subset_prediction, r.name .. ": subset prediction")
  end
  -- The loss route, and an end-to-end fit that fails (too few points for bnsl): both as before.
  local loss = recipes.get("loss_intermediate")
  local short = {}
  for k, v in pairs(job) do short[k] = v end
  short.ladder, short.C = { job.ladder[1], job.ladder[2] }, { job.C[1], job.C[2] }
  for _, case in ipairs({ { loss, job }, { bnsl, short } }) do
    local r, j = case[1], case[2]
    local p = precluster.run({ r }, j, map)
    T.truthy(precluster.recipe(r, p) ~= r, r.name .. ": precomputed")
    local here, there = r:run(j), precluster.recipe(r, p):run(j)
    T.eq(fits_of(there._state), fits_of(here._state), r.name .. ": law fits")
    T.eq({ there.ok, there.prediction, there.reason }, { here.ok, here.prediction, here.reason }, r.name)
  end
  -- Two candidates sharing a precomputed state each change their own copy.
  local a = precluster.recipe(cod, pre):run(job)
  a._state.clusters[1].fit.params.a = -1
  T.truthy(precluster.recipe(cod, pre):run(job)._state.clusters[1].fit.params.a ~= -1)
end)

T.test("a fit result of a built-in form comes back from a worker restorable; a Lua form's does not", function()
  local law = require("cod.law")
  local f = law.fit("cod", { 1, 2, 4, 8, 16 }, { 0.1, 0.2, 0.3, 0.4, 0.5 })
  T.truthy(law.restorable(f))
  local plain = parallel.map({ 1, 2 }, function() return f end, { threads = 2 })[2]
  T.truthy(not law.is_result(plain))
  local back = law.restore(plain)
  T.eq(back:eval(32), f:eval(32))
  local lf = law.form({ name = "lin", params = { "a", "b" }, start = { 0, 0 },
    f = function(C, p) return p.a + p.b * math.log(C) end })
  local g = law.fit(lf, { 1, 2, 4, 8 }, { 0.1, 0.2, 0.3, 0.4 })
  T.truthy(not law.restorable(g))
  T.truthy(not pcall(law.restore, { form = "lin", ok = true }))
  -- A recipe whose fit uses a Lua form keeps its fit here (only its clustering is precomputed).
  local mine = recipes.get("cod"):with({ fit = { form = lf } })
  local pre = precluster.run({ mine }, job, map)
  local key = next(pre)
  T.eq(next(pre[key].fits), nil)
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
