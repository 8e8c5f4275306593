--- cod.predict: predictions over a dataset's evaluation sets, with the target's truth when
--- known (EE, FE), the self-check, plain-word warnings and bootstrap intervals (SPEC §8, §11).
---
---   local predict = require("cod.predict")
---   local report = predict.run(ds, { target = "BIG-G_T0_27b", recipe = "cod", bootstrap = 100, seed = 1 })
---   for _, s in ipairs(report.sets) do print(s.name, s.prediction, s.fe) end

local recipes = require("cod.recipes")
local random = require("cod.core.random")
local sys = require("cod.core.sys")

local M = {}

--- Recipes compared in every self-check (plus the recipe asked for). Cheap ones by default:
--- cod_no_mapping's Improved-KMeans scan costs seconds per set; add it with self_check_recipes.
M.self_check_recipes = { "cod", "e2e_exp", "e2e_passrate" }

--- Thresholds for the warnings of SPEC §11.
M.limits = {
  few_trials = 10,        -- median trials per item below this: "few trials"
  iad_zero = 1e-3,        -- IAD below this: clusters collapsed
  tiny_ratio = 0.1,       -- predictable ratio below this
  self_check_fe = 5,      -- self-check FE above this (points)
}

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
      error(("set '%s' has no results for ladder model '%s'"):format(set, m), 0)
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

local function all_binary(P)
  for i = 1, P:rows() do
    local row = P:row(i)
    for _, v in ipairs(row) do
      if v ~= 0 and v ~= 1 then return false end
    end
  end
  return true
end

local function median(v)
  if #v == 0 then return nil end
  local s = {}
  for i, x in ipairs(v) do s[i] = x end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

--- Plain-word warnings for one set's result (SPEC §11).
function M.warnings(result, job, base)
  local w = {}
  -- 0/1 values are single answers unless trial counts say several samples were drawn.
  local max_trials = 1
  if base.N then
    for i = 1, base.N:rows() do
      for _, n in ipairs(base.N:row(i)) do
        if n > max_trials then max_trials = n end
      end
    end
  end
  local binary = max_trials <= 1 and all_binary(job.Y)
  result.single_answer = binary
  if binary then
    w[#w + 1] = "The ladder's pass rates are single-answer 0/1 correctness, not pass rates from repeated " ..
      "sampling. COD's difficulty features assume many samples per item (the paper uses 100): with 0/1 " ..
      "data the clusters collapse into identical patterns and the prediction can be off by tens of points. " ..
      "Trust the end-to-end baselines and the self-check below more than this number."
  elseif base.N then
    local counts = {}
    for i = 1, base.N:rows() do counts[#counts + 1] = base.N:get(i, 1) end
    local med = median(counts)
    result.median_trials = med
    if med and med < M.limits.few_trials then
      w[#w + 1] = ("The pass rates come from few trials (median %g per item on the smallest ladder model); " ..
        "difficulty features are noisy and clusters may be unreliable."):format(med)
    end
  end
  local c = result.clustering
  if c and c.clustered > 0 and c.iad and c.iad < M.limits.iad_zero then
    w[#w + 1] = ("The clusters have intra-cluster distance IAD = %.3g, about zero: items collapsed into " ..
      "identical feature vectors, so each cluster's curve is a step, not a trend."):format(c.iad)
  end
  if result.predictable_ratio and result.clusters and result.predictable_ratio < M.limits.tiny_ratio then
    w[#w + 1] = ("Only %.1f%% of the items are predictable (in clusters that extrapolate); the mapping, not " ..
      "the clusters, carries this prediction."):format(100 * result.predictable_ratio)
  end
  if result.fallback then
    w[#w + 1] = ("No cluster extrapolates (%s); this prediction comes from the fallback recipe '%s'.")
      :format(result.fallback.reason, result.fallback.recipe)
  end
  if not result.ok then
    w[#w + 1] = ("No prediction: %s."):format(result.reason)
  end
  local fe = result.self_check
  if fe and result.self_check_target then
    local own = fe[result.recipe]
    if own == nil then
      w[#w + 1] = ("Self-check: recipe '%s' could not predict the ladder's largest model '%s' from the " ..
        "models below it."):format(result.recipe, result.self_check_target)
    elseif own > M.limits.self_check_fe then
      local best = result.self_check_best
      w[#w + 1] = ("Self-check: predicting the ladder's largest model '%s' from the models below it, " ..
        "recipe '%s' is off by %.1f points; '%s' did best there (%.1f points).")
        :format(result.self_check_target, result.recipe, own, best, fe[best])
    end
  end
  return w
end

-- ------------------------------------------------------------------ self-check

--- Predict the ladder's largest model from the models below it with each recipe.
---@return {target: string, fe: table<string, number>, best: string|nil, reasons: table<string, string>}|nil
function M.self_check(ds, set, sel, recipe, opts)
  if #sel.ladder < 3 then return { skipped = "the ladder has fewer than 3 models", fe = {} } end
  local sub = { ladder = {}, target = sel.ladder[#sel.ladder], anchors = sel.anchors }
  for i = 1, #sel.ladder - 1 do sub.ladder[i] = sel.ladder[i] end
  local names = { recipe.name }
  for _, n in ipairs(opts.self_check_recipes or M.self_check_recipes) do
    if not contains(names, n) then names[#names + 1] = n end
  end
  local base = M.base(ds, set, sub, opts)
  local job = M.job(ds, set, sub, { base = base, smooth = opts.smooth, transfer_ladder = opts.transfer_ladder,
    transfer_labels = opts.transfer_labels })
  local out = { target = sub.target, fe = {}, reasons = {} }
  for _, n in ipairs(names) do
    local r = (n == recipe.name) and recipe or recipes.get(n)
    local ok, res = pcall(r.run, r, job)
    if ok and res.fe then
      out.fe[n] = res.fe
      if not out.best or res.fe < out.fe[out.best] then out.best = n end
    else
      out.reasons[n] = ok and (res.reason or "no prediction") or tostring(res)
    end
  end
  return out
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

local function progress(done, total, start)
  local width = 30
  local filled = math.floor(width * done / total)
  local eta = done > 0 and (sys.clock() - start) / done * (total - done) or 0
  io.stderr:write(("\rbootstrap [%s%s] %d/%d  eta %.0fs "):format(("#"):rep(filled), ("."):rep(width - filled),
    done, total, eta))
  if done == total then io.stderr:write("\n") end
  io.stderr:flush()
end

--- Bootstrap percentile intervals on ŷ_S and p̂ (items resampled; binomial pass rates when
--- trial counts are known). Deterministic for a seed.
function M.bootstrap(ds, set, sel, recipe, opts, base)
  local rounds = opts.bootstrap
  local rng = random.new(opts.seed or 1)
  local show = opts.progress ~= false and sys.isatty(2)
  local start = sys.clock()
  local preds, subs, failed = {}, {}, 0
  for b = 1, rounds do
    local rows = rng:sample_rows(base.P:rows())
    local job = M.job(ds, set, sel, { base = base, rows = rows, rng = base.N and rng or nil,
      transfer_ladder = opts.transfer_ladder, transfer_labels = opts.transfer_labels })
    local ok, r = pcall(recipe.run, recipe, job)
    if ok and r.prediction then
      preds[#preds + 1] = r.prediction
      if r.subset_prediction then subs[#subs + 1] = r.subset_prediction end
    else
      failed = failed + 1
    end
    if show then progress(b, rounds, start) end
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

--- Predict every chosen set of a dataset.
---@param ds cod.Dataset
---@param opts {target?: string, ladder?: string[], anchors?: string[], recipe?: string|cod.Recipe, sets?: string[], feature?: string, bootstrap?: integer, seed?: integer, smooth?: integer, self_check?: boolean, self_check_recipes?: string[], target_compute?: number, transfer_ladder?: string[], transfer_labels?: table}
---@return table report
function M.run(ds, opts)
  opts = opts or {}
  local recipe = recipes.get(opts.recipe or "cod")
  local sel = ds:select({ target = opts.target, ladder = opts.ladder, anchors = opts.anchors })
  if not sel.target and not opts.target_compute then
    error("no target: give --target MODEL (or a model with role 'target' in the models CSV)", 0)
  end
  if opts.target_compute then sel.target_compute = opts.target_compute end
  local all_sets = ds:sets()
  local sets = opts.sets or all_sets
  for _, s in ipairs(sets) do
    if not contains(all_sets, s) then
      error(("unknown evaluation set '%s' (sets: %s)"):format(s, table.concat(all_sets, ", ")), 0)
    end
  end
  require("cod.data").check_feature(ds, sets, opts.feature)
  local report = {
    tool = "codlua",
    version = require("cod").version,
    recipe = recipe.name,
    recipe_description = recipe.description,
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
      self_check = opts.self_check ~= false,
      steps = {},
    },
    sets = {},
  }
  for i, s in ipairs(recipe.steps) do
    local o = {}
    for k, v in pairs(s.opts) do
      o[k] = (type(v) == "function") and "<function>" or v
    end
    report.settings.steps[i] = { stage = s.name, options = o, custom = s.fn ~= nil }
  end
  for _, set in ipairs(sets) do
    if #ds:items(set) > 0 then
      local set_sel, missing = M.set_selection(ds, set, sel)
      local r = M.predict_set(ds, set, set_sel, recipe, opts)
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
  if #report.sets == 0 then error("no evaluation set with items to predict", 0) end
  M.summarise(report)
  return report
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
    error(("set '%s' has results for only %d of the ladder's models; at least 2 are needed"):format(set,
      #out.ladder), 0)
  end
  return out, missing
end

--- One set's prediction with its self-check, bootstrap and warnings.
function M.predict_set(ds, set, sel, recipe, opts)
  local base = M.base(ds, set, sel, opts)
  local job = M.job(ds, set, sel, { base = base, transfer_ladder = opts.transfer_ladder,
    transfer_labels = opts.transfer_labels })
  local r = recipe:run(job)
  if opts.self_check ~= false then
    local sc = M.self_check(ds, set, sel, recipe, opts)
    r.self_check = sc.fe
    r.self_check_target = sc.target
    r.self_check_best = sc.best
    r.self_check_failures = sc.reasons
    r.self_check_skipped = sc.skipped
  end
  if (opts.bootstrap or 0) > 0 then
    local b = M.bootstrap(ds, set, sel, recipe, opts, base)
    r.bootstrap = b
    r.interval = b.interval
    r.subset_interval = b.subset_interval
  end
  r.target_compute = job.target_C
  r.warnings = M.warnings(r, job, base)
  return r
end

--- Mean and Max rows over sets (the paper's Table 1 layout).
function M.summarise(report)
  local fe, ee = {}, {}
  for _, s in ipairs(report.sets) do
    if s.fe then fe[#fe + 1] = s.fe end
    if s.ee then ee[#ee + 1] = s.ee end
  end
  local stats = require("cod.files").stats
  report.summary = { fe = stats(fe), ee = stats(ee) }
  return report.summary
end

return M
