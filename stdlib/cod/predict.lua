--- cod.predict: predictions over a dataset's evaluation sets, with the target's truth when
--- known (EE, FE), the recommendation among candidate recipes backtested on the ladder,
--- calibrated 90% intervals, plain-word warnings (SPEC §8, §11, §13; cod.recommend).
---
---   local predict = require("cod.predict")
---   local report = predict.run(ds, { target = "BIG-G_T0_27b", recipe = "auto", bootstrap = 100, seed = 1 })
---   for _, s in ipairs(report.sets) do print(s.name, s.recipe, s.prediction, s.interval[1], s.interval[2]) end

local recipes = require("cod.recipes")
local recommend = require("cod.recommend")
local errors = require("cod.errors")
local check = require("cod.check")
local parallel = require("cod.parallel")
local warnings = require("cod.warnings")
local random = require("cod.core.random")
local sys = require("cod.core.sys")

local M = {}

--- Thresholds for the warnings of SPEC §11.
M.limits = warnings.limits

local function contains(list, v)
  for _, x in ipairs(list) do
    if x == v then return true end
  end
  return false
end

--- Build the job of one set (see cod.pipeline). `rows` resamples items (bootstrap);
--- `rng` with trial counts known also resamples pass rates binomially.
---@param ds cod.Dataset
---@param set string
---@param sel {ladder: string[], target?: string, anchors: string[], target_compute?: number}
---@param opts? {smooth?: integer, feature?: string, rows?: integer[], rng?: any, base?: table}
---@return table job
function M.job(ds, set, sel, opts)
  opts = opts or {}
  local base = opts.base or M.base(ds, set, sel, opts)
  local job = {
    ds = ds, set = set, ladder = sel.ladder, anchors = base.anchors, target = sel.target,
    C = base.C, target_C = base.target_C, col = base.col, loss = base.loss, seed = opts.seed,
    transfer_ladder = opts.transfer_ladder,
    transfer_labels = opts.transfer_labels and opts.transfer_labels[set],
  }
  local P = base.P
  local item_ids = base.item_ids
  if opts.rows then
    P = P:select_rows(opts.rows)
    item_ids = {}
    for k, r in ipairs(opts.rows) do item_ids[k] = base.item_ids[r] end
  end
  if base.N and opts.rng then
    P = opts.rng:resample_passrates(P, opts.rows and base.N:select_rows(opts.rows) or base.N)
  end
  local metric = P
  -- A feature other than the metric (SPEC §14) drives clustering, the cluster fits and the
  -- mapping's x; the full-set metric (job.full, job.mean, job.actual) stays the metric.
  if base.F then P = opts.rows and base.F:select_rows(opts.rows) or base.F end
  job.feature = base.feature
  job.P = P
  job.item_ids = item_ids
  job.items = P:rows()
  local ladder_cols = {}
  for j, name in ipairs(sel.ladder) do ladder_cols[j] = base.col[name] end
  job.Y = P:select_cols(ladder_cols)
  -- Smoothed features are cut from the data as read (bootstrap rows, no re-smoothing).
  if base.smoothed then
    job.X = opts.rows and base.X:select_rows(opts.rows) or base.X
  else
    job.X = job.Y
  end
  -- Metrics per model on these rows; a user's score replaces the full-set mean.
  local means = metric:col_means()
  job.mean, job.full = {}, {}
  for name, c in pairs(base.col) do
    job.mean[name] = means[c]
    job.full[name] = base.scores[name] or means[c]
  end
  if sel.target then
    job.actual = base.scores[sel.target] or (base.col[sel.target] and means[base.col[sel.target]])
  end
  return job
end

--- The per-set data a job is cut from (computed once per set; bootstrap reuses it).
function M.base(ds, set, sel, opts)
  opts = opts or {}
  local set_models = ds:set_models(set)
  local in_set = {}
  for j, m in ipairs(set_models) do in_set[m] = j end
  for _, m in ipairs(sel.ladder) do
    if not in_set[m] then
      errors.user(("set '%s' has no results for ladder model '%s'"):format(set, m))
    end
  end
  local cols, col = {}, {}
  local function add(m)
    if in_set[m] and not col[m] then
      cols[#cols + 1] = in_set[m]
      col[m] = #cols
    end
  end
  for _, m in ipairs(sel.ladder) do add(m) end
  local anchors = {}
  for _, m in ipairs(sel.anchors or {}) do
    if in_set[m] then
      add(m)
      anchors[#anchors + 1] = m
    end
  end
  if sel.target then add(sel.target) end
  local all = ds:pass(set)
  local base = { col = col, anchors = anchors, item_ids = ds:items(set), scores = ds:scores(set), loss = {} }
  base.P = all:select_cols(cols)
  local trials = ds:trials(set)
  if trials then base.N = trials:select_cols(cols) end
  base.feature = opts.feature or "metric"
  if base.feature ~= "metric" then
    if opts.smooth and opts.smooth > 0 then
      require("cod.errors").usage(("--smooth averages pass rates of checkpoints; it does not apply with --feature %s")
        :format(base.feature))
    end
    base.F = ds:feature(set, base.feature):select_cols(cols)
    base.N = nil  -- trial counts describe the metric: no binomial resampling or few-trials warning for a feature
  end
  base.C = {}
  for j, m in ipairs(sel.ladder) do base.C[j] = ds:compute(m) end
  if sel.target_compute then
    base.target_C = sel.target_compute
  elseif sel.target then
    base.target_C = ds:compute(sel.target)
  end
  for _, m in ipairs(ds:models()) do base.loss[m.name] = m.loss end
  if opts.smooth and opts.smooth > 0 then
    base.X = ds:features(set, sel.ladder, { smooth = opts.smooth })
    base.smoothed = true
  end
  return base
end

-- ------------------------------------------------------------------ warnings

--- Plain-word warnings for one set's result (SPEC §11, §13; cod.warnings).
function M.warnings(result, job, base)
  return warnings.for_set(result, job, base)
end

-- ------------------------------------------------------------------ bootstrap

--- Percentile of sorted values with linear interpolation (numpy's default).
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
  io.stderr:write(("\r%s [%s%s] %d/%d  eta %.0fs "):format(what, ("#"):rep(filled), ("."):rep(width - filled),
    done, total, eta))
  if done == total then io.stderr:write("\n") end
  io.stderr:flush()
end

--- The progress callback of a cod.parallel map: a bar on a terminal (not inside a worker), else nil.
local function progress_bar(what, opts)
  if opts.progress == false or parallel.worker() or not sys.isatty(2) then return nil end
  local start = sys.clock()
  return function(done, total) progress(what, done, total, start) end
end

-- One bootstrap round of a weighted combination {{recipe =, weight =}, ...}: the weighted
-- mean of the members that predict (renormalised); no subset prediction.
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
function M.bootstrap_round(ds, set, sel, recipe, opts, base, b)
  local rng = random.new(opts.seed or 1, b)
  local rows = rng:sample_rows(base.P:rows())
  local job = M.job(ds, set, sel, { base = base, rows = rows, rng = base.N and rng or nil,
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

--- Bootstrap percentile intervals on ŷ_S and p̂ (items resampled; binomial pass rates when
--- trial counts are known). Deterministic for a seed, whatever opts.threads.
function M.bootstrap(ds, set, sel, recipe, opts, base)
  local tasks = {}
  for b = 1, opts.bootstrap do tasks[b] = b end
  local outcomes = parallel.map(tasks, function(b) return M.bootstrap_round(ds, set, sel, recipe, opts, base, b) end,
    { threads = opts.threads, progress = progress_bar("bootstrap", opts) })
  return M.bootstrap_intervals(outcomes, opts, base)
end

--- The intervals from the rounds' outcomes (M.bootstrap_round's, in round order).
function M.bootstrap_intervals(outcomes, opts, base)
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

-- ------------------------------------------------------------------ the whole run

--- Predict every chosen set of a dataset. `recipe` "auto" (the default) makes the
--- recommendation the headline; a recipe name or object makes that recipe the headline,
--- with the recommendation beside it. Sets without items (scores only) are predicted by
--- the candidates that need no items.
---@param ds cod.Dataset
---@param opts {target?: string, ladder?: string[], anchors?: string[], recipe?: string|cod.Recipe, candidates?: string[], backtest?: boolean, sets?: string[], feature?: string, bootstrap?: integer, seed?: integer, threads?: integer, progress?: boolean, smooth?: integer, target_compute?: number, transfer_ladder?: string[], transfer_labels?: table}
---@return table report
function M.run(ds, opts)
  check.arg("run", 1, ds, "userdata")
  opts = check.options("run", opts, { target = "string", ladder = "table", anchors = "table",
    recipe = "string|table", candidates = "table", backtest = "boolean", sets = "table", bootstrap = "integer",
    seed = "integer", smooth = "integer", target_compute = "number", transfer_ladder = "table",
    transfer_labels = "table", level = "number", progress = "boolean", threads = "integer", feature = "string" }, 2)
  check.integer("run", "bootstrap", opts.bootstrap, { min = 0, optional = true })
  check.integer("run", "smooth", opts.smooth, { min = 0, optional = true })
  check.number("run", "target_compute", opts.target_compute, { above = 0, finite = true, optional = true })
  check.number("run", "level", opts.level, { above = 0, below = 1, optional = true })
  local auto = opts.recipe == nil or opts.recipe == "auto"
  local recipe = (not auto) and recipes.get(opts.recipe) or nil
  -- Candidates are resolved up front so that a bad name is an error before any work.
  local names = recommend.candidates({ names = opts.candidates, losses = true })
  for _, n in ipairs(names) do recipes.get(n) end
  local sel = ds:select({ target = opts.target, ladder = opts.ladder, anchors = opts.anchors })
  if not sel.target and not opts.target_compute then
    errors.user("no target: give --target MODEL (or a model with role 'target' in the models CSV)")
  end
  if opts.target_compute then sel.target_compute = opts.target_compute end
  local all_sets = ds:sets()
  local sets = opts.sets or all_sets
  for _, s in ipairs(sets) do
    if not contains(all_sets, s) then
      errors.user(("unknown evaluation set '%s'%s (sets: %s)"):format(s, errors.did_you_mean(s, all_sets),
        table.concat(all_sets, ", ")))
    end
  end
  require("cod.data").check_feature(ds, sets, opts.feature)
  local report = {
    tool = "codlua",
    version = require("cod").version,
    recipe = auto and "auto" or recipe.name,
    recipe_description = auto and "the recommendation: the candidate recipes' predictions weighted by their " ..
      "backtest errors on this ladder" or recipe.description,
    target = sel.target,
    ladder = sel.ladder,
    ladder_compute = (function()
      local C = {}
      for j, m in ipairs(sel.ladder) do C[j] = ds:compute(m) end
      return C
    end)(),
    anchors = sel.anchors,
    compute_unit = ds:compute_unit(),
    feature = opts.feature or "metric",
    sources = require("cod.data").sources(ds),
    settings = {
      bootstrap = opts.bootstrap or 0,
      seed = opts.seed or 1,
      smooth = opts.smooth or 0,
      candidates = names,
      backtest_cuts = recommend.cuts,
      steps = {},
    },
    sets = {},
    skipped = {},
  }
  for i, s in ipairs(recipe and recipe.steps or {}) do
    local o = {}
    for k, v in pairs(s.opts) do
      o[k] = (type(v) == "function") and "<function>" or v
    end
    report.settings.steps[i] = { stage = s.name, options = o, custom = s.fn ~= nil }
  end
  -- The backtests of every set run as one batch of tasks (parallel.gather: one map per set
  -- would leave a worker idle whenever a set's cuts do not divide evenly).
  local fns, missing_of = {}, {}
  local tty = opts.progress ~= false and not parallel.worker() and sys.isatty(2)
  local start = sys.clock()
  local function add(set, set_sel, missing, score_job)
    local k = #fns + 1
    missing_of[k] = missing
    fns[k] = function(map)
      if tty then
        io.stderr:write(("\rpredict: set %d/%d, %.0fs \027[K"):format(k, #fns, sys.clock() - start))
        io.stderr:flush()
      end
      return M.prepare_set(ds, set, set_sel, recipe, opts, score_job, map)
    end
  end
  for _, set in ipairs(sets) do
    if #ds:items(set) > 0 then
      local set_sel, missing = M.set_selection(ds, set, sel)
      add(set, set_sel, missing)
    elseif next(ds:scores(set)) ~= nil then
      -- Scores only: the candidates that need no items predict it (SPEC §13).
      local ok, job = pcall(M.score_job, ds, set, sel)
      if ok then
        add(set, sel, {}, job)
      else
        report.skipped[#report.skipped + 1] = { name = set, reason = errors.message(job) }
      end
    end
  end
  local prepared = parallel.gather(fns, { threads = opts.threads,
    progress = progress_bar("backtests", opts) })
  if tty then io.stderr:write(("\rpredict: %d set(s) prepared, %.0fs\027[K\n"):format(#fns, sys.clock() - start)) end
  for k, p in ipairs(prepared) do
    p.missing = missing_of[k]
    p.single_answer = warnings.single_answer(p.job, p.base)  -- 0/1 sets: no trend correction
  end
  -- Each candidate's systematic backtest error, and its weight, pool every set's backtests:
  -- three per set are too few to trust alone. The weights rest on the corrected backtests.
  local raw_weights = recommend.weights(prepared)
  local biases = recommend.candidate_biases(prepared)
  local corrected = {}
  for i, p in ipairs(prepared) do
    p.corrected = recommend.corrected(p, biases, p.job.target_C and math.log(p.job.target_C / p.job.C[#p.job.C]))
    corrected[i] = p.corrected
  end
  local weights = recommend.weights(corrected)
  for name, w in pairs(weights) do
    w.bias = biases[name]
    w.raw_rate = raw_weights[name] and raw_weights[name].rate
  end
  report.candidate_weights = weights
  for _, p in ipairs(prepared) do
    local r = M.finish_set(p, recipe, opts, weights, raw_weights)
    local missing, set_sel = p.missing, p.sel
    do
      if #missing > 0 then
        local shown = {}
        for i = 1, math.min(5, #missing) do shown[i] = missing[i] end
        if #missing > 5 then shown[#shown + 1] = ("and %d more"):format(#missing - 5) end
        table.insert(r.warnings, 1, ("%d ladder model(s) have no results in this set and were left out of its " ..
          "ladder (%s); the set's ladder has %d models."):format(#missing, table.concat(shown, ", "),
          #set_sel.ladder))
        r.ladder = set_sel.ladder
      end
      report.sets[#report.sets + 1] = r
    end
  end
  if #report.sets == 0 then
    local why = ""
    if #report.skipped > 0 then why = (" (%s: %s)"):format(report.skipped[1].name, report.skipped[1].reason) end
    errors.user("no evaluation set to predict" .. why)
  end
  require("cod.report").summarise(report)
  return report
end

--- A job for a scores-only set: per-model full-set metrics, no items. Ladder models
--- without a score in this set are left out; fewer than 3 left is an error.
function M.score_job(ds, set, sel)
  local scores = ds:scores(set)
  local job = { ds = ds, set = set, ladder = {}, anchors = {}, target = sel.target, C = {}, full = {},
    mean = {}, loss = {}, col = {}, items = 0, scores_only = true }
  for _, m in ipairs(sel.ladder) do
    if scores[m] ~= nil then
      job.ladder[#job.ladder + 1] = m
      job.C[#job.C + 1] = ds:compute(m)
      job.full[m] = scores[m]
      job.mean[m] = scores[m]
    end
  end
  if #job.ladder < 3 then
    errors.user(("set '%s' has scores for only %d ladder model(s); at least 3 are needed"):format(set, #job.ladder))
  end
  for _, m in ipairs(ds:models()) do job.loss[m.name] = m.loss end
  job.target_C = sel.target_compute or ds:compute(sel.target)
  if sel.target then job.actual = scores[sel.target] end
  return job
end

--- The selection restricted to the models that have results in `set` (sets of one dataset
--- may cover different models). Returns it and the ladder models left out.
function M.set_selection(ds, set, sel)
  local present = {}
  for _, m in ipairs(ds:set_models(set)) do present[m] = true end
  local out = { ladder = {}, anchors = {}, target = sel.target, target_compute = sel.target_compute }
  local missing = {}
  for _, m in ipairs(sel.ladder) do
    if present[m] then out.ladder[#out.ladder + 1] = m else missing[#missing + 1] = m end
  end
  for _, m in ipairs(sel.anchors) do
    if present[m] then out.anchors[#out.anchors + 1] = m end
  end
  if #out.ladder < 2 then
    errors.user(("set '%s' has results for only %d of the ladder's models; at least 2 are needed"):format(set,
      #out.ladder))
  end
  return out, missing
end

local function has_losses(job)
  for _, m in ipairs(job.ladder) do
    if job.loss[m] == nil then return false end
  end
  return true
end

--- The candidates of one set (recipes): the asked-for ones, without those that need items
--- when the set has none, and without loss_intermediate when losses are missing and the
--- user did not ask for it by name.
local function set_candidates(opts, job, headline)
  local names = recommend.candidates({ names = opts.candidates, losses = has_losses(job) })
  local out, seen = {}, {}
  local function add(r)
    if not seen[r.name] and not (job.scores_only and r.kind ~= "baseline") then
      seen[r.name] = true
      out[#out + 1] = r
    end
  end
  for _, n in ipairs(names) do
    -- The recipe asked for stands in for a candidate of its name (a user's file may reuse "cod").
    add((headline and headline.name == n) and headline or recipes.get(n))
  end
  if headline then add(headline) end
  return out
end

--- One set's candidates: each one's prediction of the target and its backtest on the ladder
--- (independent tasks). `score_job` is the job of a scores-only set. `map_tasks(list, fn)`,
--- when given, runs the backtest's tasks (default: cod.parallel.map). The headline is chosen
--- later (M.finish_set), once every set's backtests are in.
function M.prepare_set(ds, set, sel, recipe, opts, score_job, map_tasks)
  local base, job
  if score_job then
    job = score_job
  else
    base = M.base(ds, set, sel, opts)
    job = M.job(ds, set, sel, { base = base, transfer_ladder = opts.transfer_ladder,
      transfer_labels = opts.transfer_labels })
  end
  local cands = set_candidates(opts, job, recipe)
  local results, predictions = {}, {}
  for _, r in ipairs(cands) do
    local ok, res
    if recipe and r.name == recipe.name then
      ok, res = true, r:run(job)  -- the recipe asked for: its errors are the user's to see
    else
      ok, res = pcall(r.run, r, job)
    end
    results[r.name] = ok and res or { ok = false, reason = errors.message(res), name = set, recipe = r.name }
    predictions[r.name] = ok and res.prediction or nil
  end
  if recipe and not results[recipe.name] then
    -- A recipe that needs items, asked for on a scores-only set.
    results[recipe.name] = { ok = false, name = set, recipe = recipe.name,
      reason = ("recipe '%s' needs items and this set has scores only"):format(recipe.name) }
  end
  -- opts.backtest == false (--no-backtest) skips the backtests: no recommendation, no interval.
  local tasks = opts.backtest == false and {} or recommend.tasks(job.ladder, job.C)
  local function make_job(task)
    -- The real anchors sit above the backtest's target: when the prediction has anchors, the
    -- backtest's are the ladder models it cut between its ladder top and its target.
    local sub = { ladder = task.ladder, target = task.target, anchors = {} }
    if #job.anchors > 0 then
      for i = #task.ladder + 1, (task.target_index or #job.ladder) - 1 do sub.anchors[#sub.anchors + 1] = job.ladder[i] end
    end
    if score_job then return M.score_job(ds, set, sub) end
    return M.job(ds, set, sub, { base = M.base(ds, set, sub, opts), transfer_ladder = opts.transfer_ladder,
      transfer_labels = opts.transfer_labels })
  end
  local order = {}
  for i, r in ipairs(cands) do order[i] = r.name end
  -- The cuts are independent tasks returning plain numbers: cod.parallel's workers run them.
  local function map(list, fn)
    if map_tasks then return map_tasks(list, fn) end  -- M.run batches every set's backtests
    return parallel.map(list, fn, { threads = opts.threads })
  end
  return { ds = ds, set = set, sel = sel, job = job, base = base, cands = cands, order = order, results = results,
    predictions = predictions, tasks = tasks, backtest = recommend.backtest(make_job, cands, tasks, map) }
end

--- A set's headline (the weighted combination, or `recipe` when given), its calibrated
--- interval and warnings. `weights` are the dataset's candidate weights from the corrected
--- backtests (p.corrected: recommend.corrected), `raw_weights` those of the backtests as run.
function M.finish_set(p, recipe, opts, weights, raw_weights)
  local job, bt = p.job, p.backtest
  local cp = p.corrected or p
  local members = recommend.members(weights, cp.predictions, p.order)
  local combo = recommend.combine(members, cp.predictions, cp.backtest, p.tasks)
  if combo.prediction and cp.corrections then
    combo.bias_correction = 0
    for _, m in ipairs(members) do combo.bias_correction = combo.bias_correction + m.weight * cp.corrections[m.name] end
  end
  local recipe_of = {}
  for _, r in ipairs(p.cands) do recipe_of[r.name] = r end
  local top = members[1] and members[1].name
  local r
  if recipe then
    r = p.results[recipe.name]
  elseif top then
    -- The report's diagnostics (clusters, fits, mapping) are those of the first item-based
    -- candidate that clustered, else the largest member's; the numbers are the combination's.
    local detail = top
    for _, n in ipairs(p.order) do
      if recipe_of[n].kind ~= "baseline" and p.results[n].clusters then
        detail = n
        break
      end
    end
    r = {}
    for k, v in pairs(p.results[detail]) do r[k] = v end
    r.diagnostics_from = detail
    r.prediction = combo.prediction
    r.subset_prediction, r.predictable_ratio, r.ee, r.actual_subset, r.subset_size = nil, nil, nil, nil, nil
    r.fallback, r.primary, r.ok, r.reason = nil, nil, true, nil
    if r.actual then r.fe = 100 * math.abs(r.prediction - r.actual) end
  end
  local lone  -- no backtest could weigh the candidates: the first with a prediction is the headline
  if not r and #p.order == 0 then
    r = { name = p.set, recipe = "auto", ok = false, items = job.items, target = job.target, actual = job.actual,
      reason = "no candidate recipe applies to this set (it has scores only and every candidate needs items)" }
    lone = "auto"
    recipe_of.auto = { kind = "baseline" }
  elseif not r then
    for _, n in ipairs(p.order) do
      if p.predictions[n] then
        lone = n
        break
      end
    end
    lone = lone or p.order[1]
    r = p.results[lone]
  end
  r.kind = recipe and recipe.kind or recipe_of[top or lone].kind
  r.recipe = recipe and recipe.name or (top and "auto" or lone)
  r.recommendation = combo.prediction and { prediction = combo.prediction, weights = combo.weights,
    top = top, rate = combo.rate, errors = combo.errors, bias_correction = combo.bias_correction } or nil
  r.recommended = top
  r.candidates = {}
  for _, n in ipairs(p.order) do
    local c, b = p.results[n], bt[n]
    r.candidates[#r.candidates + 1] = {
      recipe = n, prediction = c.prediction, weight = combo.weights[n] or 0, ok = c.prediction ~= nil,
      reason = c.prediction == nil and c.reason or nil, fallback = c.fallback and c.fallback.recipe or nil,
      fe = c.prediction and c.actual and 100 * math.abs(c.prediction - c.actual) or nil,
      subset_prediction = c.subset_prediction, predictable_ratio = c.predictable_ratio, ee = c.ee,
      backtest = { rate = b.rate, pooled_rate = raw_weights[n] and raw_weights[n].rate or nil, mean_abs = b.mean_abs,
        bias = weights[n] and weights[n].bias,
        errors = b.errors, failures = b.failures },
    }
  end
  -- For the candidates' plot (not in report.json): the ladder's metric and each curve.
  r._ladder_points, r._curves = {}, {}
  for j, m in ipairs(job.ladder) do
    if job.full[m] then r._ladder_points[#r._ladder_points + 1] = { job.C[j], job.full[m] } end
  end
  for _, n in ipairs(p.order) do
    local c = p.results[n]
    local st = c._state
    local label = c.fallback and (n .. " via " .. c.fallback.recipe) or n
    local eval
    if st and st.e2e_fit and st.e2e_fit.ok then
      eval = function(C) return st.e2e_fit:eval(C) end
    elseif st and st.loss_fit and st.metric_fit then
      eval = function(C) return st.metric_fit:eval(st.loss_fit:eval(C)) end
    end
    if eval and c.prediction then
      r._curves[#r._curves + 1] = { recipe = label, weight = combo.weights[n] or 0, eval = eval }
    end
  end
  r.backtest_tasks = {}
  for i, t in ipairs(p.tasks) do
    r.backtest_tasks[i] = { cut = t.cut, rank = t.rank, ladder_top = t.ladder[#t.ladder], target = t.target,
      distance = t.distance }
  end
  r.distance = job.target_C and math.log(job.target_C / job.C[#job.C]) or nil
  r.backtest_skipped = opts.backtest == false or nil
  if (opts.bootstrap or 0) > 0 and p.base and r.prediction then
    local bopts = setmetatable({ level = 0.9 }, { __index = opts })
    local what = recipe or recipe_of[lone]
    if not recipe and top then
      what = {}
      for _, m in ipairs(members) do what[#what + 1] = { recipe = recipe_of[m.name], weight = m.weight } end
    end
    local b = M.bootstrap(p.ds, p.set, p.sel, what, bopts, p.base)
    r.bootstrap = b
    if recipe then r.subset_interval = b.subset_interval end
  end
  -- No backtest, no calibrated interval: a bootstrap-only one would claim more than it knows.
  local head = recipe and recipe.name or lone
  local rate = head and (raw_weights[head] and raw_weights[head].rate or bt[head] and bt[head].rate) or combo.rate
  if r.prediction and r.distance and rate then
    -- The bootstrap rounds run the combination without the bias correction: shift their interval.
    local boot, shift = r.bootstrap and r.bootstrap.interval, (not recipe and combo.bias_correction or 0) / 100
    if boot then boot = { boot[1] - shift, boot[2] - shift } end
    r.interval, r.interval_model_half = recommend.interval(r.prediction, rate, r.distance, boot)
    r.interval_level = 0.9
  end
  r.target_compute = job.target_C
  r.warnings = M.warnings(r, job, p.base)
  return r
end

return M
