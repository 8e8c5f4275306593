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
local sys = require("cod.core.sys")
local bootstrap = require("cod.bootstrap")
local precluster = require("cod.precluster")
local headline = require("cod.headline")
local pipeline = require("cod.pipeline")

local M = {}

--- Thresholds for the warnings of SPEC §11.
M.limits = warnings.limits

--- The default size of a large set's backtest subsample (predict.run's backtest_items).
M.backtest_items = 10000

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
    exact_clustering = base.exact_clustering,
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
  base.exact_clustering = opts.exact_clustering or nil  -- cod's large-set mode off (cod.cluster.large_set_plan)
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

-- The bootstrap lives in cod.bootstrap; these names stay for the API (docs/api.md).
M.percentile = bootstrap.percentile
M.bootstrap_intervals = bootstrap.intervals

--- One bootstrap round (cod.bootstrap.round).
function M.bootstrap_round(...) return bootstrap.round(...) end

--- Bootstrap percentile intervals of one set (cod.bootstrap.run). Deterministic for a seed,
--- whatever opts.threads.
function M.bootstrap(ds, set, sel, recipe, opts, base, mains)
  return bootstrap.run(ds, set, sel, recipe, opts, base, mains)
end

local progress_bar = bootstrap.progress_bar

-- ------------------------------------------------------------------ the whole run

--- Predict every chosen set of a dataset. `recipe` "auto" (the default) makes the
--- recommendation the headline; a recipe name or object makes that recipe the headline,
--- with the recommendation beside it. Sets without items (scores only) are predicted by
--- the candidates that need no items.
---@param ds cod.Dataset
---@param opts {exact_rounds?: boolean, exact_clustering?: boolean, backtest_bin_seeding?: boolean, backtest_items?: integer, target?: string, ladder?: string[], anchors?: string[], recipe?: string|cod.Recipe, candidates?: string[], backtest?: boolean, sets?: string[], feature?: string, bootstrap?: integer, seed?: integer, threads?: integer, progress?: boolean, smooth?: integer, target_compute?: number, transfer_ladder?: string[], transfer_labels?: table, idle?: fun()}
---@return table report
function M.run(ds, opts)
  check.arg("run", 1, ds, "userdata")
  opts = check.options("run", opts, { target = "string", ladder = "table", anchors = "table",
    recipe = "string|table", candidates = "table", backtest = "boolean", sets = "table", bootstrap = "integer",
    seed = "integer", smooth = "integer", target_compute = "number", transfer_ladder = "table",
    transfer_labels = "table", level = "number", progress = "boolean", threads = "integer", feature = "string",
    exact_rounds = "boolean", backtest_items = "integer", exact_clustering = "boolean",
    backtest_bin_seeding = "boolean", idle = "function" }, 2)
  check.integer("run", "bootstrap", opts.bootstrap, { min = 0, optional = true })
  check.integer("run", "smooth", opts.smooth, { min = 0, optional = true })
  check.number("run", "target_compute", opts.target_compute, { above = 0, finite = true, optional = true })
  check.number("run", "level", opts.level, { above = 0, below = 1, optional = true })
  check.integer("run", "backtest_items", opts.backtest_items, { min = 0, optional = true })
  if opts.backtest_items == nil then
    -- Backtests only estimate each candidate's error rate (bench/README.md, "Threads and bootstrap": backtests on a subsample).
    opts = setmetatable({ backtest_items = M.backtest_items }, { __index = opts })
  end
  local auto = opts.recipe == nil or opts.recipe == "auto"
  local recipe = (not auto) and recipes.get(opts.recipe) or nil
  -- Candidates are resolved up front so that a bad name is an error before any work.
  local names = recommend.candidates({ names = opts.candidates, losses = true, single_answer = true })
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
      backtest_items = opts.backtest_items,
      exact_rounds = opts.exact_rounds == true,
      backtest_bin_seeding = opts.backtest_bin_seeding == true,
      exact_clustering = opts.exact_clustering == true,
      large_set_threshold = require("cod.cluster").large_set_threshold,
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
    -- A status line per stage on a terminal: a 50,000-item set clusters for many seconds.
    local status = tty and function(what)
      io.stderr:write(("\rpredict: set %d/%d (%s): %s, %.0fs \027[K"):format(k, #fns,
        require("cod.text").excerpt(set), what, sys.clock() - start))
      io.stderr:flush()
    end or nil
    fns[k] = function(map)
      return M.prepare_set(ds, set, set_sel, recipe, opts, score_job, map, status)
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
  local prepared = parallel.gather(fns, { threads = opts.threads, idle = opts.idle,
    cost = function(task) return task.cost or 0 end,
    progress = progress_bar("clusterings, backtests", opts) })
  if tty then io.stderr:write(("\rpredict: %d set(s) prepared, %.0fs\027[K\n"):format(#fns, sys.clock() - start)) end
  for k, p in ipairs(prepared) do
    p.missing = missing_of[k]
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
  -- Every set's headline first, then all sets' bootstrap rounds as one batch of tasks.
  local heads, plans, plan_of = {}, {}, {}
  for k, p in ipairs(prepared) do
    local r, tail = M.headline(p, recipe, opts, weights, raw_weights)
    heads[k] = { r = r, tail = tail }
    if tail.plan then
      plans[#plans + 1] = tail.plan
      plan_of[k] = #plans
    end
  end
  local boots = #plans > 0 and bootstrap.run_plans(plans, opts) or {}
  for k, p in ipairs(prepared) do
    local r = M.complete_set(heads[k].r, heads[k].tail, plan_of[k] and boots[plan_of[k]])
    r.backtests_changed = p.backtests_changed
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

--- The recipes the backtest cuts run for `cands`: unchanged, or with `bin_seeding` a
--- candidate whose Improved MeanShift step leaves bin_seeding unset gets it on (seeds from a
--- grid of cell R instead of every distinct row; R still estimated on the cut's rows).
--- Returns them and what changed ({{recipe =, bin_seeding = true}, ...}; nil when nothing).
--- Off by default: measured against exact backtests it failed its accuracy criterion on
--- real ladders (docs/recommend.md, "Bin-seeded backtest clusterings").
---@param cands cod.Recipe[]
---@param bin_seeding? boolean
---@return cod.Recipe[], table|nil
function M.backtest_recipes(cands, bin_seeding)
  if not bin_seeding then return cands, nil end
  local out, changed = {}, {}
  for i, r in ipairs(cands) do
    local step = pipeline.meanshift_step(r)
    if step and (step.opts.options == nil or step.opts.options.bin_seeding == nil) then
      local options = {}
      for k, v in pairs(step.opts.options or {}) do options[k] = v end
      options.bin_seeding = true
      out[i] = r:with({ cluster = { options = options } })
      changed[#changed + 1] = { recipe = r.name, bin_seeding = true }
    else
      out[i] = r
    end
  end
  return out, #changed > 0 and changed or nil
end

local function has_losses(job)
  for _, m in ipairs(job.ladder) do
    if job.loss[m] == nil then return false end
  end
  return true
end

--- The candidates of one set (recipes): the asked-for ones, without those that need items
--- when the set has none, and without loss_intermediate when losses are missing and the
--- user did not ask for it by name; the default list grows on 0/1 sets (cod.recommend).
local function set_candidates(opts, job, headline, single_answer)
  local names = recommend.candidates({ names = opts.candidates, losses = has_losses(job),
    single_answer = single_answer })
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

--- The rows a backtest's jobs keep for a set of `n` items: nil (all) when `limit` is nil or
--- 0 or n <= limit, else `limit` rows drawn without replacement from stream 0 of `seed`
--- (bootstrap rounds use streams 1, 2, ...), in increasing order.
---@param n integer
---@param limit integer|nil
---@param seed integer
---@return integer[]|nil
function M.backtest_rows(n, limit, seed)
  return require("cod.cluster").sample_rows(n, limit, seed)
end

--- One set's candidates: each one's prediction of the target and its backtest on the ladder
--- (independent tasks). `score_job` is the job of a scores-only set. `map_tasks(list, fn)`,
--- when given, runs the set's one batch of tasks (full-set clusterings and fits, backtest
--- cuts; default: cod.parallel.map); `status(text)`, when
--- given, is told each stage as it starts (a progress line). The headline is chosen
--- later (M.finish_set), once every set's backtests are in.
function M.prepare_set(ds, set, sel, recipe, opts, score_job, map_tasks, status)
  local base, job
  if score_job then
    job = score_job
  else
    base = M.base(ds, set, sel, opts)
    job = M.job(ds, set, sel, { base = base, transfer_ladder = opts.transfer_ladder,
      transfer_labels = opts.transfer_labels })
  end
  -- A 0/1 set: more candidates, and later no trend correction (warnings.single_answer).
  local single_answer = warnings.single_answer(job, base)
  local cands = set_candidates(opts, job, recipe, single_answer)
  -- The tasks of this set (clusterings, backtest cuts) go to cod.parallel's workers.
  local function map(list, fn)
    if map_tasks then return map_tasks(list, fn) end  -- M.run batches every set's tasks
    return parallel.map(list, fn, { threads = opts.threads })
  end
  -- opts.backtest == false (--no-backtest) skips the backtests: no recommendation, no interval.
  local tasks = opts.backtest == false and {} or recommend.tasks(job.ladder, job.C)
  local sample = not score_job and M.backtest_rows(job.items, opts.backtest_items, opts.seed or 1) or nil
  local function make_job(task)
    -- The real anchors sit above the backtest's target: when the prediction has anchors, the
    -- backtest's are the ladder models it cut between its ladder top and its target.
    local sub = { ladder = task.ladder, target = task.target, anchors = {} }
    if #job.anchors > 0 then
      for i = #task.ladder + 1, (task.target_index or #job.ladder) - 1 do sub.anchors[#sub.anchors + 1] = job.ladder[i] end
    end
    if score_job then return M.score_job(ds, set, sub) end
    local b = M.base(ds, set, sub, opts)
    local full = M.job(ds, set, sub, { base = b, transfer_ladder = opts.transfer_ladder,
      transfer_labels = opts.transfer_labels })
    if not sample then return full end
    -- A large set's cuts cluster a seeded subsample; the metrics stay the full set's.
    local j = M.job(ds, set, sub, { base = b, rows = sample, transfer_ladder = opts.transfer_ladder,
      transfer_labels = opts.transfer_labels })
    j.full, j.mean, j.actual = full.full, full.mean, full.actual
    return j
  end
  -- One batch of tasks (cod.parallel's workers): the candidates' full-set clusterings and law
  -- fits (cod.precluster; their results are plain data) and the backtest cuts (plain numbers).
  -- The candidates then run here on the precomputed stages: little is left for the caller.
  local pre_tasks = score_job and {} or precluster.tasks(cands)
  local pre_results
  local function batch(cut_tasks, cut_fn)
    -- Clusterings first, the cuts, then the short first fits. Each task's `cost` guesses its
    -- time (rows clustered x models; the first fits ~0): M.run's batch of every set's tasks
    -- hands them out longest first, so a worker that finishes early finds short tasks left.
    local list, at = {}, {}
    local function add(x, pre_index)
      list[#list + 1] = x
      if pre_index then at[pre_index] = #list end
    end
    local items = type(job.items) == "number" and job.items or 1  -- a scores-only set: no items
    for i, t in ipairs(pre_tasks) do
      if not t.stage then add({ pre = t, cost = items * #job.ladder }, i) end
    end
    local first_cut = #list + 1
    for _, t in ipairs(cut_tasks) do add({ cut = t, cost = (sample and #sample or items) * #t.ladder }) end
    for i, t in ipairs(pre_tasks) do
      if t.stage then add({ pre = t, cost = 0 }, i) end
    end
    if status then status(("%d clustering/fit task(s), %d backtest cut(s) queued"):format(#pre_tasks, #cut_tasks)) end
    local out = map(list, function(x)
      if x.pre then return precluster.run_task(job, x.pre) end
      return cut_fn(x.cut)
    end)
    pre_results = {}
    for i = 1, #pre_tasks do pre_results[i] = out[at[i]] end
    return table.move(out, first_cut, first_cut + #cut_tasks - 1, 1, {})
  end
  local bt_cands, bt_changed = M.backtest_recipes(cands, opts.backtest_bin_seeding and not score_job)
  local backtest = recommend.backtest(make_job, bt_cands, tasks, batch)
  if not pre_results then batch({}, nil) end  -- a backtest that mapped nothing
  local pre = precluster.collect(pre_tasks, pre_results)
  local results, predictions = {}, {}
  for _, cand in ipairs(cands) do
    if status then status(("%s on %d items"):format(cand.name, job.items)) end
    local r = precluster.recipe(cand, pre)
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
  local order = {}
  for i, r in ipairs(cands) do order[i] = r.name end
  return { ds = ds, set = set, sel = sel, job = job, base = base, single_answer = single_answer, cands = cands,
    order = order, results = results, predictions = predictions, tasks = tasks, backtest = backtest,
    backtests_changed = #tasks > 0 and bt_changed or nil,
    backtest_sample = sample and { items = #sample, of = job.items, seed = opts.seed or 1 } or nil }
end

-- A set's headline, interval and warnings live in cod.headline (predict.lua would pass 600 lines).
M.headline = headline.headline
M.complete_set = headline.complete_set
M.finish_set = headline.finish_set

return M
