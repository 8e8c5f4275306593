--- cod.bootstrap: percentile intervals on a prediction by resampling items (and pass rates
--- binomially when trial counts are known), round by round on cod.parallel's workers.
--- Deterministic for a seed whatever the thread count: round b draws from random.new(seed, b).
---
---   local bootstrap = require("cod.bootstrap")
---   local plan = bootstrap.plan(ds, set, sel, recipe, opts, base, main_result)
---   local b = bootstrap.run_plans({ plan }, { threads = 2 })[1]   -- b.interval, b.rounds, ...
---
--- Rounds of a recipe that clusters with Improved MeanShift are cheaper than its main run
--- (docs/bootstrap.md, "Bootstrap rounds"): they keep the main run's bandwidth R instead of
--- re-estimating it, and seed MeanShift from a grid of cell R (bin seeding) instead of from
--- every row; their law fits start from the main run's fits with fewer local runs -- only on
--- sets whose pass rates the rounds resample binomially (M.exact_rounds_reason).
--- `exact_rounds = true` runs the recipe unchanged everywhere.

local parallel = require("cod.parallel")
local random = require("cod.core.random")
local sys = require("cod.core.sys")

local M = {}

--- Percentile of sorted values with linear interpolation (numpy's default).
---@param sorted number[]
---@param q number in [0, 1]
---@return number|nil
function M.percentile(sorted, q)
  local n = #sorted
  if n == 0 then return nil end
  local h = (n - 1) * q
  local lo = math.floor(h)
  local frac = h - lo
  local a = sorted[lo + 1]
  local b = sorted[math.min(lo + 2, n)]
  return a + (b - a) * frac
end

-- A progress bar on stderr: "<what> [#####.....] done/total  eta 12s".
local function progress(what, done, total, start)
  local width = 30
  local filled = math.floor(width * done / total)
  local eta = done > 0 and (sys.clock() - start) / done * (total - done) or 0
  io.stderr:write(("\r%s [%s%s] %d/%d  eta %.0fs \027[K"):format(what, ("#"):rep(filled), ("."):rep(width - filled),
    done, total, eta))
  if done == total then io.stderr:write("\n") end
  io.stderr:flush()
end

--- The progress callback of a cod.parallel map: a bar on a terminal (not inside a worker), else nil.
---@param what string
---@param opts {progress?: boolean}
---@return fun(done: integer, total: integer)|nil
function M.progress_bar(what, opts)
  if opts.progress == false or parallel.worker() or not sys.isatty(2) then return nil end
  local start = sys.clock()
  return function(done, total) progress(what, done, total, start) end
end

-- ------------------------------------------------------------------ the rounds' recipes

-- The fit stages whose fits a round may start from the main run's: the clusters' fits
-- ("fit") and an end-to-end fit ("e2e"), registered (no replacement fn) with a built-in form.
local function fit_steps(recipe)
  local out = {}
  for _, s in ipairs(recipe.steps or {}) do
    if (s.name == "fit" or s.name == "e2e") and s.fn == nil
      and (s.opts.form == nil or type(s.opts.form) == "string") then
      out[#out + 1] = s
    end
  end
  return out
end

--- Local runs a round's fit makes when it starts from the main run's fits (law.fit's default: 6).
M.round_local_starts = 2

--- False: rounds keep law.fit's own starts (only bench/bootstrap_rounds_mc.lua's comparison sets it).
M.round_fits = true

--- False: rounds estimate R themselves / seed from every row (bench/bootstrap_rounds_mc.lua's
--- comparisons of one change at a time set them).
M.round_bandwidth = true
M.round_bin_seeding = true

--- Why the rounds of a set in large-set mode (docs/cluster.md, "Large sets") estimate R
--- themselves, as exact rounds do, instead of reusing the main run's (recorded in
--- rounds_changed as `own_bandwidth`): with it they shifted the interval's low end by 3.7 SD.
M.large_set_bandwidth_reason = "large-set mode: each round estimates R on its own subsample"

--- Why a set's rounds must run every recipe exactly as its main run, or nil when they may
--- run the cheaper recipes (M.round_recipe): only rounds that resample every pass rate
--- binomially from more than one trial were measured equal to exact rounds. Rounds that only
--- resample items (0/1 answers, pass rates without trial counts) repeat the set's rows, and
--- there the cheaper rounds moved the intervals: bin seeding and the warm-started fits on 0/1
--- data (the fits by up to 6 points), the main run's R on averaged pass rates
--- (docs/bootstrap.md, "Single-answer data and large sets").
---@param base table the set's data (cod.predict.base: base.N the trial counts, when known)
---@return string|nil
function M.exact_rounds_reason(base)
  local N = base and base.N
  if not N then return "no trial counts: the rounds resample items only" end
  for i = 1, N:rows() do
    for _, n in ipairs(N:row(i)) do
      if n < 2 then return "single answers (1 trial): the rounds resample items only" end
    end
  end
  return nil
end

-- The main run's fit parameters a round's fit step may start from: every fitted cluster's
-- (the SSE of each start on the round's cluster picks the nearest) or the end-to-end fit's.
local function main_fit_starts(step, st)
  local form = require("cod.law").info(step.opts.form or "cod").name
  local starts = {}
  if step.name == "fit" then
    if st.form ~= (step.opts.form or "cod") then return nil end
    for _, c in ipairs(st.clusters or {}) do
      if c.fit.ok and c.fit.form == form then starts[#starts + 1] = table.move(c.fit.fit_params, 1,
        #c.fit.fit_params, 1, {}) end
    end
  else
    local f = st.e2e_fit
    if f and f.ok and f.form == form then starts[1] = table.move(f.fit_params, 1, #f.fit_params, 1, {}) end
  end
  return #starts > 0 and starts or nil
end

--- The recipe a bootstrap round runs for `recipe`, given its main run's result on the full
--- set: in its Improved MeanShift step the main run's bandwidth R (when it estimated one) and
--- bin seeding; in its fit steps (clusters' fits, end-to-end fit) the main run's fitted
--- parameters as extra start points and M.round_local_starts local runs instead of law.fit's
--- 6 -- each unless the recipe's options already fix it. Other recipes are unchanged.
--- Returns the recipe and what changed ({bandwidth =, bin_seeding =, fit = {starts =,
--- local_starts =}, e2e = {...}, own_bandwidth = reason}: `starts` is the number of start
--- points; `own_bandwidth` when a main run in large-set mode kept R out) or nil. With
--- `opts.exact` (a reason, M.exact_rounds_reason) the recipe comes back unchanged, and what
--- changed is `{exact = reason}` when it would have changed.
---@param recipe cod.Recipe
---@param main? table the recipe's result on the full set (cod.Recipe.run)
---@param opts? {exact?: string}
---@return cod.Recipe, table|nil
function M.round_recipe(recipe, main, opts)
  local changes, changed = {}, {}
  local st = main and main._state
  local step = require("cod.pipeline").meanshift_step(recipe)
  if step then
    local options = {}
    for k, v in pairs(step.opts.options or {}) do options[k] = v end
    local ms = {}
    -- A fallback's state has no clustering: the rounds then estimate R themselves.
    local facts = st and st.cluster_method == "improved_meanshift" and st.cluster_facts
    local reuse = M.round_bandwidth and options.bandwidth == nil and facts and type(facts.bandwidth) == "number"
      and facts.bandwidth > 0
    if reuse and st.cluster_mode and st.cluster_mode.mode == "large-set" then
      -- Measured: on a 20,000-item set the main run's R shifted every round (docs/bootstrap.md).
      changed.own_bandwidth = M.large_set_bandwidth_reason
    elseif reuse then
      options.bandwidth = facts.bandwidth
      ms.bandwidth = facts.bandwidth
    end
    if M.round_bin_seeding and options.bin_seeding == nil then
      options.bin_seeding = true
      ms.bin_seeding = true
    end
    if next(ms) then
      changes.cluster = { options = options }
      changed.bandwidth, changed.bin_seeding = ms.bandwidth, ms.bin_seeding
    end
  end
  if M.round_fits and st then
    for _, s in ipairs(fit_steps(recipe)) do
      local starts = s.opts.starts == nil and s.opts.local_starts == nil and main_fit_starts(s, st)
      if starts then
        changes[s.name] = { starts = starts, local_starts = M.round_local_starts }
        changed[s.name] = { starts = #starts, local_starts = M.round_local_starts }
      end
    end
  end
  if next(changed) == nil then return recipe, nil end
  if opts and opts.exact then return recipe, { exact = opts.exact } end
  return recipe:with(changes), changed
end

-- ------------------------------------------------------------------ one round

-- One round of a weighted combination {{recipe =, weight =}, ...}: the weighted mean of the
-- members that predict (renormalised); no subset prediction.
local function combined_run(members, job)
  local num, den = 0, 0
  for _, m in ipairs(members) do
    local ok, r = pcall(m.recipe.run, m.recipe, job)
    if ok and r.prediction then
      num = num + m.weight * r.prediction
      den = den + m.weight
    end
  end
  return { prediction = den > 0 and num / den or nil }
end

--- One bootstrap round: items resampled (and pass rates binomially when trial counts are
--- known) from round b's own stream random.new(seed, b), so a round draws the same numbers
--- whichever worker runs it. `recipe` is a recipe or a weighted combination of recipes
--- ({{recipe =, weight =}, ...}). Returns the round's predictions, or false when it failed.
---@return {prediction: number, subset?: number}|false
function M.round(ds, set, sel, recipe, opts, base, b)
  local predict = require("cod.predict")
  local rng = random.new(opts.seed or 1, b)
  local rows = rng:sample_rows(base.P:rows())
  local job = predict.job(ds, set, sel, { base = base, rows = rows, rng = base.N and rng or nil,
    transfer_ladder = opts.transfer_ladder, transfer_labels = opts.transfer_labels })
  local ok, r
  if require("cod.pipeline").is_recipe(recipe) then
    ok, r = pcall(recipe.run, recipe, job)
  else
    ok, r = true, combined_run(recipe, job)
  end
  if ok and r.prediction then return { prediction = r.prediction, subset = r.subset_prediction } end
  return false
end

--- The intervals from the rounds' outcomes (M.round's, in round order).
function M.intervals(outcomes, opts, base)
  local rounds = opts.bootstrap
  local preds, subs, failed = {}, {}, 0
  for b = 1, rounds do
    local o = outcomes[b]
    if o then
      preds[#preds + 1] = o.prediction
      if o.subset then subs[#subs + 1] = o.subset end
    else
      failed = failed + 1
    end
  end
  table.sort(preds)
  table.sort(subs)
  local level = opts.level or 0.95
  local lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
  return {
    rounds = rounds,
    failed = failed,
    level = level,
    seed = opts.seed or 1,
    binomial = base.N ~= nil,
    interval = #preds > 0 and { M.percentile(preds, lo), M.percentile(preds, hi) } or nil,
    subset_interval = #subs > 0 and { M.percentile(subs, lo), M.percentile(subs, hi) } or nil,
  }
end

-- ------------------------------------------------------------------ plans: every set's rounds at once

--- A set's bootstrap, ready to run: `what` is a recipe or a weighted combination
--- ({{recipe =, weight =}, ...}); `mains[name]` the members' results on the full set (for the
--- rounds' recipes, M.round_recipe; opts.exact_rounds keeps the recipes as they are).
---@return table plan
function M.plan(ds, set, sel, what, opts, base, mains)
  local cheap = {}
  local exact = not opts.exact_rounds and M.exact_rounds_reason(base) or nil
  local function round_of(recipe)
    if opts.exact_rounds then return recipe end
    local r, changed = M.round_recipe(recipe, mains and mains[recipe.name], { exact = exact })
    if changed then cheap[#cheap + 1] = { recipe = recipe.name, bandwidth = changed.bandwidth,
      bin_seeding = changed.bin_seeding, fit = changed.fit, e2e = changed.e2e,
      own_bandwidth = changed.own_bandwidth, exact = changed.exact } end
    return r
  end
  local run
  if require("cod.pipeline").is_recipe(what) then
    run = round_of(what)
  else
    run = {}
    for i, m in ipairs(what) do run[i] = { recipe = round_of(m.recipe), weight = m.weight } end
  end
  return { ds = ds, set = set, sel = sel, recipe = run, opts = opts, base = base,
    cheap = #cheap > 0 and cheap or nil }
end

--- Run the rounds of every plan as one batch of tasks (no worker idles between sets) and
--- return each plan's intervals (M.intervals, plus `cheap`: what its rounds ran differently).
---@param plans table[]
---@param opts {threads?: integer, progress?: boolean}
---@return table[]
function M.run_plans(plans, opts)
  local tasks = {}
  for k, p in ipairs(plans) do
    for b = 1, p.opts.bootstrap do tasks[#tasks + 1] = { k = k, b = b } end
  end
  local out = parallel.map(tasks, function(t)
    local p = plans[t.k]
    return M.round(p.ds, p.set, p.sel, p.recipe, p.opts, p.base, t.b)
  end, { threads = opts.threads, progress = M.progress_bar("bootstrap", opts) })
  local per = {}
  for n, t in ipairs(tasks) do
    per[t.k] = per[t.k] or {}
    per[t.k][t.b] = out[n]
  end
  local results = {}
  for k, p in ipairs(plans) do
    results[k] = M.intervals(per[k] or {}, p.opts, p.base)
    results[k].rounds_changed = p.cheap
  end
  return results
end

--- One set's bootstrap (M.plan then M.run_plans).
function M.run(ds, set, sel, what, opts, base, mains)
  return M.run_plans({ M.plan(ds, set, sel, what, opts, base, mains) }, opts)[1]
end

return M
