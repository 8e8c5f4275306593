-- cod.bootstrap: the rounds' recipes (the main run's bandwidth R, bin seeding, fits started
-- from the main run's with fewer local runs), every set's
-- rounds in one batch with results independent of the thread count.
local T = require("testlib")
local synth = require("cod.synth")
local predict = require("cod.predict")
local bootstrap = require("cod.bootstrap")
local recipes = require("cod.recipes")
local sys = require("cod.core.sys")
local law = require("cod.law")

local ds = synth.paper_like({ seed = 4, scale = 0.12, anchors = 2, target_factor = 5 })

local function cluster_options(recipe)
  for _, s in ipairs(recipe.steps) do
    if s.name == "cluster" then return s.opts.options end
  end
end

T.test("round_recipe: the main run's R and bin seeding for Improved MeanShift; other recipes unchanged", function()
  local cod = recipes.get("cod")
  local main = { _state = { cluster_method = "improved_meanshift", cluster_facts = { bandwidth = 0.21 } } }
  local r, changed = bootstrap.round_recipe(cod, main)
  T.eq(changed, { bandwidth = 0.21, bin_seeding = true })
  T.eq(cluster_options(r), { bandwidth = 0.21, bin_seeding = true })
  T.eq(cluster_options(cod), nil, "the recipe itself is not changed")
  -- A main run that fell back (no clustering in its state): the rounds estimate R themselves.
  r, changed = bootstrap.round_recipe(cod, { _state = {} })
  T.eq(changed, { bin_seeding = true })
  -- A user's own options win.
  local mine = cod:with({ cluster = { options = { bandwidth = 0.3, bin_seeding = false, quantile = 0.2 } } })
  r, changed = bootstrap.round_recipe(mine, main)
  T.eq(changed, nil)
  T.eq(cluster_options(r), { bandwidth = 0.3, bin_seeding = false, quantile = 0.2 })
  -- No Improved MeanShift step: unchanged.
  local e2e = recipes.get("e2e_exp")
  T.truthy(bootstrap.round_recipe(e2e, main) == e2e)
  local km = recipes.get("cod_kmeans")
  T.truthy(bootstrap.round_recipe(km, main) == km)
end)

local function step_options(recipe, name)
  for _, s in ipairs(recipe.steps) do
    if s.name == name then return s.opts end
  end
end

T.test("round_recipe: the law fits start from the main run's fits with fewer local runs", function()
  local C = { 1, 2, 4, 8, 16, 32 }
  local fit = law.fit("cod", C, { 0.30, 0.36, 0.44, 0.52, 0.60, 0.66 })
  local flat = law.fit("cod", C, { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 })
  T.eq(flat.ok, false)
  local main = { _state = { cluster_method = "improved_meanshift", cluster_facts = { bandwidth = 0.21 }, form = "cod",
    clusters = { { fit = fit }, { fit = flat } } } }
  local cod = recipes.get("cod")
  local r, changed = bootstrap.round_recipe(cod, main)
  T.eq(changed, { bandwidth = 0.21, bin_seeding = true, fit = { starts = 1, local_starts = 2 } })
  T.eq(step_options(r, "fit").starts, { fit.fit_params }, "the failed fit gives no start")
  T.eq(step_options(r, "fit").local_starts, bootstrap.round_local_starts)
  T.eq(step_options(cod, "fit").starts, nil, "the recipe itself is not changed")
  -- A recipe that fixes its fit's starts or local runs keeps them.
  local mine = cod:with({ fit = { local_starts = 4 } })
  r, changed = bootstrap.round_recipe(mine, main)
  T.eq(changed.fit, nil)
  T.eq(step_options(r, "fit").local_starts, 4)
  T.eq(step_options(r, "fit").starts, nil)
  -- The main run fitted another form: no starts from it.
  r, changed = bootstrap.round_recipe(recipes.get("cod_f1"), main)
  T.eq(changed.fit, nil)
  -- End-to-end recipes start from the main run's end-to-end fit.
  local bnsl = recipes.get("bnsl")
  local bfit = law.fit("bnsl", C, { 0.30, 0.36, 0.44, 0.52, 0.60, 0.66 })
  r, changed = bootstrap.round_recipe(bnsl, { _state = { e2e_fit = bfit } })
  T.eq(changed, { e2e = { starts = 1, local_starts = 2 } })
  T.eq(step_options(r, "e2e").starts, { bfit.fit_params })
  -- e2e_exp fits the cod form: a bnsl fit is no start for it.
  local e2e = recipes.get("e2e_exp")
  T.truthy(bootstrap.round_recipe(e2e, { _state = { e2e_fit = bfit } }) == e2e)
  -- round_fits = false (the Monte Carlo comparison's "before"): only the clustering changes.
  bootstrap.round_fits = false
  r, changed = bootstrap.round_recipe(cod, main)
  bootstrap.round_fits = true
  T.eq(changed, { bandwidth = 0.21, bin_seeding = true })
end)

T.test("a main run in large-set mode: the rounds estimate R themselves (and say why)", function()
  local cod = recipes.get("cod")
  local main = { _state = { cluster_method = "improved_meanshift", cluster_facts = { bandwidth = 0.21 },
    cluster_mode = { mode = "large-set" } } }
  local r, changed = bootstrap.round_recipe(cod, main)
  T.eq(changed, { bin_seeding = true, own_bandwidth = bootstrap.large_set_bandwidth_reason })
  T.eq(cluster_options(r), { bin_seeding = true })
  main._state.cluster_mode.mode = "exact"
  r, changed = bootstrap.round_recipe(cod, main)
  T.eq(changed, { bandwidth = 0.21, bin_seeding = true })
  -- End to end: a set above the recipe's large-set threshold (lowered to 50 distinct rows).
  local large = cod:with({ cluster = { large_sets = 50 } })
  local rep = predict.run(ds, { sets = { "triviaqa_like" }, bootstrap = 2, seed = 3, recipe = large, threads = 1 })
  local s = rep.sets[1]
  T.eq(s.clustering.mode, "large-set")
  local c = s.bootstrap.rounds_changed[1]
  T.eq({ c.bandwidth, c.bin_seeding, c.own_bandwidth }, { nil, true, bootstrap.large_set_bandwidth_reason })
  T.truthy(c.fit, "the fits still start from the main run's")
end)

T.test("rounds that resample items only run the recipe unchanged (and say why)", function()
  local M = require("cod.core.matrix")
  T.eq(bootstrap.exact_rounds_reason({ N = M.new({ { 100, 100 }, { 2, 50 } }) }), nil, "binomial resampling: cheap")
  T.eq(bootstrap.exact_rounds_reason({}), "no trial counts: the rounds resample items only")
  T.eq(bootstrap.exact_rounds_reason({ N = M.new({ { 100, 100 }, { 1, 100 } }) }),
    "single answers (1 trial): the rounds resample items only", "one single-answer cell is enough")
  local C = { 1, 2, 4, 8, 16, 32 }
  local fit = law.fit("cod", C, { 0.30, 0.36, 0.44, 0.52, 0.60, 0.66 })
  local main = { _state = { cluster_method = "improved_meanshift", cluster_facts = { bandwidth = 0.21 }, form = "cod",
    clusters = { { fit = fit } } } }
  local cod = recipes.get("cod")
  local r, changed = bootstrap.round_recipe(cod, main, { exact = "why" })
  T.truthy(r == cod, "the recipe itself")
  T.eq(changed, { exact = "why" })
  local bnsl = recipes.get("bnsl")
  local bfit = law.fit("bnsl", C, { 0.30, 0.36, 0.44, 0.52, 0.60, 0.66 })
  r, changed = bootstrap.round_recipe(bnsl, { _state = { e2e_fit = bfit } }, { exact = "why" })
  T.truthy(r == bnsl)
  T.eq(changed, { exact = "why" })
  -- Nothing it would have changed: nothing to record.
  T.eq(select(2, bootstrap.round_recipe(recipes.get("e2e_exp"), { _state = { e2e_fit = bfit } }, { exact = "why" })),
    nil)
end)

T.test("single-answer data: the rounds are exact rounds (report says why); trial counts: cheap", function()
  local single = synth.paper_like({ seed = 4, scale = 0.12, single_answer = true })
  local rep = predict.run(single, { sets = { "triviaqa_like" }, bootstrap = 3, seed = 3, recipe = "cod", threads = 1 })
  local s = rep.sets[1]
  T.eq(s.bootstrap.rounds_changed, { { recipe = "cod",
    exact = "single answers (1 trial): the rounds resample items only" } })
  local exact = predict.run(single, { sets = { "triviaqa_like" }, bootstrap = 3, seed = 3, recipe = "cod", threads = 1,
    exact_rounds = true })
  T.eq(exact.sets[1].bootstrap.interval, s.bootstrap.interval)
  T.eq(exact.sets[1].bootstrap.rounds_changed, nil)
  -- Trial counts (the same generator with 100 trials): the cheaper rounds.
  local sampled = synth.paper_like({ seed = 4, scale = 0.12 })
  local srep = predict.run(sampled, { sets = { "triviaqa_like" }, bootstrap = 1, seed = 3, recipe = "cod", threads = 1 })
  local changed = srep.sets[1].bootstrap.rounds_changed[1]
  T.truthy(changed.fit and changed.bin_seeding and changed.bandwidth, "R, bin seeding and warm fits with trial counts")
  T.eq(changed.exact, nil)
end)

T.test("the rounds use the main run's R and fits; exact_rounds keeps the recipe as it is", function()
  local cheap = predict.run(ds, { sets = { "gsm8k_like" }, bootstrap = 4, seed = 3, recipe = "cod", threads = 1 })
  local s = cheap.sets[1]
  local R = s._state.cluster_facts.bandwidth
  T.truthy(type(R) == "number" and R > 0)
  local starts = {}
  for _, c in ipairs(s._state.clusters) do
    if c.fit.ok then starts[#starts + 1] = c.fit.fit_params end
  end
  T.truthy(#starts >= 2)
  T.eq(s.bootstrap.rounds_changed, { { recipe = "cod", bandwidth = R, bin_seeding = true,
    fit = { starts = #starts, local_starts = 2 } } })
  local exact = predict.run(ds, { sets = { "gsm8k_like" }, bootstrap = 4, seed = 3, recipe = "cod", threads = 1,
    exact_rounds = true })
  T.eq(exact.sets[1].bootstrap.rounds_changed, nil)
  T.eq(exact.sets[1].prediction, s.prediction, "the headline is the main run's either way")
  -- Round 1 by hand: the cheap round is the recipe run with R fixed, bin seeding and the fits'
  -- starts; it differs from the exact round.
  local sel = predict.set_selection(ds, "gsm8k_like", ds:select({}))
  local base = predict.base(ds, "gsm8k_like", sel, {})
  local cod = recipes.get("cod")
  local fixed = cod:with({ cluster = { options = { bandwidth = R, bin_seeding = true } },
    fit = { starts = starts, local_starts = 2 } })
  local opts = { seed = 3 }
  local round = bootstrap.round(ds, "gsm8k_like", sel, bootstrap.round_recipe(cod, s), opts, base, 1)
  T.eq(round, bootstrap.round(ds, "gsm8k_like", sel, fixed, opts, base, 1))
  T.truthy(round.prediction ~= bootstrap.round(ds, "gsm8k_like", sel, cod, opts, base, 1).prediction)
  -- The fit and e2e stages pass starts and local_starts to law.
  local job = predict.job(ds, "gsm8k_like", sel, { base = base })
  local bnsl = recipes.get("bnsl")
  T.eq(bnsl:run(job)._state.e2e_fit.local_runs, 6)
  T.eq(bnsl:with({ e2e = { local_starts = 1 } }):run(job)._state.e2e_fit.local_runs, 1)
  local st = fixed:run(job)._state
  T.truthy(#st.clusters > 0)
  for _, c in ipairs(st.clusters) do
    if c.fit.ok then T.truthy(c.fit.local_runs <= 2, "cluster fits make at most 2 local runs") end
  end
end)

T.test("every set's rounds run as one batch: the same intervals with 1 and 2 workers", function()
  local e2e_started = 0
  local function run(threads)
    local rep = predict.run(ds, { bootstrap = 5, seed = 11, threads = threads, progress = false })
    local out = {}
    for _, s in ipairs(rep.sets) do
      out[s.name] = { s.bootstrap, s.interval }
      for _, c in ipairs(s.bootstrap.rounds_changed or {}) do
        if c.e2e then e2e_started = e2e_started + 1 end
      end
    end
    return out
  end
  local one, two = run(1), run(2)
  T.truthy(e2e_started > 0, "the baselines' rounds start from their main fits")
  T.truthy(next(one) ~= nil)
  local n = 0
  for name, v in pairs(one) do
    n = n + 1
    T.truthy(v[1].interval, "set " .. name .. " has a bootstrap interval")
  end
  T.truthy(n >= 2, "several sets")
  T.eq(one, two)
  -- The comparison can fail: another seed moves the intervals.
  local other = predict.run(ds, { bootstrap = 5, seed = 12, threads = 2, progress = false })
  T.truthy(other.sets[1].bootstrap.interval[1] ~= one[other.sets[1].name][1].interval[1])
end)

-- ------------------------------------------------------------------ progress lines

T.test("status lines and progress bars on a terminal's stderr only, never in --json output", function()
  local dir = T.scratch()
  local base = T.source .. "/tests/bad/base"
  local cmd = ("%s predict --data %s --bootstrap 3 --threads 2 --json"):format(T.shell_quote(T.codlua),
    T.shell_quote(base))
  -- Not a terminal: nothing on stderr.
  local code, out, err = T.run(cmd)
  T.eq(code, 0, err)
  T.eq(err, "")
  T.truthy(out:find('"bootstrap"', 1, true))
  if T.run("command -v script >/dev/null") ~= 0 then
    print("skipped the terminal part: script(1) is not installed")
    T.remove_tree(dir)
    return
  end
  -- On a terminal (script(1)): the lines go to the terminal, stdout still holds only the JSON.
  local json_path = dir .. "/out.json"
  code, out = T.run(("script -qec %s /dev/null"):format(T.shell_quote(cmd .. " > " .. T.shell_quote(json_path))))
  T.eq(code, 0, out)
  T.truthy(out:find("predict: set 1/", 1, true), out)
  T.truthy(out:find("clusterings, backtests [", 1, true), out)
  T.truthy(out:find("bootstrap [", 1, true), out)
  local json = T.read(json_path)
  T.truthy(not json:find("\r") and not json:find("predict:", 1, true), "no progress text in the JSON")
  T.truthy(require("cod.json").decode(json).sets, "the JSON parses")
  T.remove_tree(dir)
end)

T.done()
