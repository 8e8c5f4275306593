--- cod.headline: a set's headline once every set's backtests are in (cod.predict.run): the
--- candidates' weighted combination (or the recipe asked for) with its details, then — after
--- the bootstrap rounds of every set ran as one batch — its calibrated interval and warnings.
---
---   local r, tail = headline.headline(p, recipe, opts, weights, raw_weights)  -- p: predict.prepare_set
---   local r = headline.complete_set(r, tail, boot)                      -- boot: tail.plan's intervals

local recommend = require("cod.recommend")
local warnings = require("cod.warnings")
local bootstrap = require("cod.bootstrap")

local M = {}

--- A set's headline (the weighted combination, or `recipe` when given) before its interval:
--- returns the result and what M.complete_set needs (`tail.plan`: the set's bootstrap, to run
--- with every other set's in one batch). `weights` are the dataset's candidate weights from
--- the corrected backtests (p.corrected: recommend.corrected), `raw_weights` those of the
--- backtests as run.
function M.headline(p, recipe, opts, weights, raw_weights)
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
  r.backtest_sample = p.backtest_sample
  local head = recipe and recipe.name or lone
  local tail = { job = job, base = p.base, single_answer = p.single_answer, recipe = recipe,
    rate = head and (raw_weights[head] and raw_weights[head].rate or bt[head] and bt[head].rate) or combo.rate,
    -- The bootstrap rounds run the combination without the bias correction: their interval shifts.
    shift = (not recipe and combo.bias_correction or 0) / 100 }
  if (opts.bootstrap or 0) > 0 and p.base and r.prediction then
    local bopts = setmetatable({ level = 0.9 }, { __index = opts })
    local what = recipe or recipe_of[lone]
    if not recipe and top then
      what = {}
      for _, m in ipairs(members) do what[#what + 1] = { recipe = recipe_of[m.name], weight = m.weight } end
    end
    -- The rounds start from the candidates' main runs (their bandwidth R; cod.bootstrap).
    tail.plan = bootstrap.plan(p.ds, p.set, p.sel, what, bopts, p.base, p.results)
  end
  return r, tail
end
--- A set's interval and warnings once its bootstrap (cod.bootstrap.run_plans' result for
--- tail.plan, or nil) is in. `r, tail` come from M.headline.
function M.complete_set(r, tail, boot)
  if boot then
    r.bootstrap = boot
    if tail.recipe then r.subset_interval = boot.subset_interval end
  end
  -- No backtest, no calibrated interval: a bootstrap-only one would claim more than it knows.
  if r.prediction and r.distance and tail.rate then
    -- The bootstrap rounds run the combination without the bias correction: shift their interval.
    local b = r.bootstrap and r.bootstrap.interval
    if b then b = { b[1] - tail.shift, b[2] - tail.shift } end
    local target_sd = recommend.target_sd(r.prediction, tail.job.items, tail.single_answer)
    r.interval, r.interval_model_half = recommend.interval(r.prediction, tail.rate, r.distance, b, target_sd)
    r.interval_level = 0.9
  end
  r.target_compute = tail.job.target_C
  r.warnings = warnings.for_set(r, tail.job, tail.base)
  return r
end

--- A set's headline (the weighted combination, or `recipe` when given), its calibrated
--- interval and warnings (M.headline, its bootstrap, M.complete_set). `weights` are the
--- dataset's candidate weights (recommend.weights).
function M.finish_set(p, recipe, opts, weights, raw_weights)
  local r, tail = M.headline(p, recipe, opts, weights, raw_weights)
  local boot = tail.plan and bootstrap.run_plans({ tail.plan }, opts)[1]
  return M.complete_set(r, tail, boot)
end

return M
