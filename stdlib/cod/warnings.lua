--- cod.warnings: the plain-word warnings of a prediction (SPEC §11, §13) — when the data
--- are single-answer 0/1 or have few trials, when COD's clusters collapsed, when few items are
--- predictable, when a fallback was used, when the backtests disagree with the headline or
--- are large, when nothing could be backtested. cod.predict attaches them to every set.

local recommend = require("cod.recommend")

local M = {}

--- Thresholds of the warnings.
M.limits = {
  few_trials = 10,        -- median trials per item below this: "few trials"
  iad_zero = 1e-3,        -- IAD below this: clusters collapsed
  tiny_ratio = 0.1,       -- predictable ratio below this
  backtest_error = 5,     -- mean backtest |error| of the headline above this (points)
}


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

--- Whether a set's ladder results are single-answer 0/1 correctness: every pass rate is 0 or 1
--- and no trial count says several samples were drawn. A scores-only set (no `base`) is not.
---@param job table    the set's job (job.Y: pass rates, items x ladder models)
---@param base table|nil  its per-set data (base.N: trial counts, when known)
---@return boolean
function M.single_answer(job, base)
  if base == nil or job.Y == nil then return false end
  if base.N then
    for i = 1, base.N:rows() do
      for _, n in ipairs(base.N:row(i)) do
        if n > 1 then return false end
      end
    end
  end
  return all_binary(job.Y)
end

--- Plain-word warnings for one set's result: `result` is the set's entry of the report,
--- `job` its job, `base` its per-set data (nil for a scores-only set).
---@param result table
---@param job table
---@param base table|nil
---@return string[]
function M.for_set(result, job, base)
  local w = {}
  local binary = M.single_answer(job, base)
  result.single_answer = binary
  if binary and result.kind ~= "baseline" then
    w[#w + 1] = "The ladder's pass rates are single-answer 0/1 correctness, not pass rates from repeated " ..
      "sampling. COD's difficulty features assume many samples per item (the paper uses 100): with 0/1 " ..
      "data the clusters collapse into identical patterns and the prediction can be off by tens of points. " ..
      "Trust the end-to-end baselines and the recommendation more than this number."
  elseif binary and result.recommendation then
    local cod_weight = 0
    for name, wt in pairs(result.recommendation.weights) do
      if name:match("^cod") then cod_weight = cod_weight + wt end
    end
    w[#w + 1] = ("The ladder's pass rates are single-answer 0/1 correctness: COD's clusters do not apply to " ..
      "such data (its diagnostics below show it); after the backtests COD carries %.0f%% of this prediction.")
      :format(100 * cod_weight)
  elseif binary then
    w[#w + 1] = "The ladder's pass rates are single-answer 0/1 correctness: COD's clusters do not apply to " ..
      "such data, so this prediction comes from an end-to-end recipe fitted to the set's overall score."
  elseif base and base.N then
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
  local cands = result.candidates
  if cands then
    local by = {}
    for _, c in ipairs(cands) do by[c.recipe] = c end
    local own, rec = by[result.recipe], result.recommended and by[result.recommended]
    if not result.recommended and result.backtest_skipped then
      w[#w + 1] = "The backtests were turned off (--no-backtest): nothing checks this prediction, and it has no " ..
        "interval."
    elseif not result.recommended then
      w[#w + 1] = ("No candidate recipe could be backtested on this ladder (it is too short: a backtest keeps at " ..
        "least %d models below the model it predicts, or every candidate failed): nothing checks this prediction, " ..
        "and it has no interval."):format(recommend.min_ladder)
    elseif own and rec and own ~= rec then
      w[#w + 1] = ("Backtest on this ladder: recipe '%s' (the headline, as asked) errs %s points on average " ..
        "predicting the ladder's top model from the models below it; the recommended '%s' errs %.1f.")
        :format(own.recipe, own.backtest.mean_abs and ("%.1f"):format(own.backtest.mean_abs) or "(failed)",
          rec.recipe, rec.backtest.mean_abs or 0 / 0)
    end
    local head = own or rec
    if head and head.backtest.mean_abs and head.backtest.mean_abs > M.limits.backtest_error then
      w[#w + 1] = ("Even on its own ladder, '%s' errs %.1f points on average when it predicts the top model from " ..
        "the models below it: treat this prediction as rough (the interval says how rough).")
        :format(head.recipe, head.backtest.mean_abs)
    end
  end
  if not result.ok then
    w[#w + 1] = ("No prediction: %s."):format(result.reason)
  end
  return w
end

return M
