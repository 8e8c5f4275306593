--- cod.recommend: the recommended prediction of a set and its calibrated 90% interval (SPEC §13).
---
--- Candidate recipes are backtested on the ladder itself: the ladder's largest model is
--- predicted from the ladder without its top 1, 2, 3 models, so each candidate shows its
--- error at several extrapolation distances. Each candidate's errors over every set of the
--- dataset make one error rate (points per unit ln-compute); its weight is 1/rate², and the
--- recommendation is the weighted mean of the candidates' predictions, each less its own
--- systematic backtest error extrapolated to the target (M.bias, M.corrected), the rates and
--- weights coming from the corrected backtests. The combination's own
--- backtest error rate, scaled to the target's distance beyond the ladder, is the model-error
--- part of the interval; the bootstrap (when asked for) adds sampling noise.
--- docs/recommend.md gives the measurements behind every choice here.
---
---   local recommend = require("cod.recommend")
---   local tasks = recommend.tasks(job.ladder, job.C)
---   local bt = recommend.backtest(make_job, candidate_recipes, tasks)     -- per set
---   local biases = recommend.candidate_biases(prepared)           -- over sets
---   local c = recommend.corrected(p, biases, distance)            -- per set
---   local weights = recommend.weights({ c, ... })                 -- over sets
---   local combo = recommend.combine(recommend.members(weights, c.predictions, names), c.predictions, c.backtest, tasks)
---   local interval = recommend.interval(combo.prediction, combo.rate, distance, boot90)

local M = {}

--- Candidates when the user names none (recipes that need items are dropped on scores-only
--- sets). Adding a recipe here is the one-line change that makes it a default candidate.
--- e2e_passrate is left out by measurement (docs/recommend.md): its backtests look best while
--- it is the worst at the target on 3 of 4 synthetic settings (a power law on the pass rate
--- does not bend: fine over one ladder step, far off at 5-30x); add it with --candidates.
M.default_candidates = { "cod", "e2e_exp", "bnsl" }
--- Candidates added when every ladder model has a loss.
M.loss_candidates = { "loss_intermediate" }
--- Candidates added on single-answer (0/1) sets. A power law on the mean pass rate is the
--- worst candidate 5-30x beyond paper-like ladders, but on 0/1 data — whose item-level
--- features are too coarse for the item-level forms — it is among the best, and its
--- backtests, like everyone's there, share one noisy target (docs/recommend.md, fifth round:
--- single-answer synthetic 2.94 -> 2.63 mean FE over 50 fresh seeds).
M.single_answer_candidates = { "e2e_passrate" }

--- Backtest cuts: the ladder's largest model is predicted from the ladder without its top
--- 1, 2, ... `cuts` models.
M.cuts = 3
--- More backtest targets: the ladder's 2nd, 3rd, ... largest models (up to `targets` in all,
--- the top included), each predicted from the ladder below it without its top `lower_cuts`
--- models. More errors per candidate at the same distances steady the weights and rates.
M.targets = 1
M.lower_cuts = 1
--- A cut ladder keeps at least this many models (the cod form has 4 free parameters).
M.min_ladder = 5
--- Cuts whose extrapolation distance (ln compute) is below this are skipped: a checkpoint
--- of nearly the same compute says nothing about extrapolation.
M.min_distance = 0.05

--- Interval calibration (docs/recommend.md): the model-error part of the 90% half-width is
--- `z90 · kappa · s · D`, where s is the recommended candidate's backtest error rate per
--- unit ln-compute (root of Σe²/Σd²) and D the target's distance beyond the ladder top.
M.z90 = 1.6448536269514722
M.kappa = 1.5
--- Distances below this (ln-compute; a factor 1.65 in compute) count as this much in error
--- rates and intervals: over a checkpoint or two, backtest errors are checkpoint-to-checkpoint
--- noise, not extrapolation error, and dividing them by a tiny distance would blow them up.
M.distance_floor = 0.5
--- Floor on the error rate s (points per unit ln-compute): three backtests can all be lucky.
M.min_rate = 0.25

--- The candidate names for a set: the default list (with the loss candidates when every
--- ladder model has a loss, the single-answer ones on a 0/1 set), or the user's list, where
--- the word "default" stands for the default list.
---@param opts {losses: boolean, single_answer?: boolean, names?: string[]}
---@return string[]
function M.candidates(opts)
  local out, seen = {}, {}
  local function add(n)
    if not seen[n] then
      seen[n] = true
      out[#out + 1] = n
    end
  end
  local function add_defaults()
    for _, d in ipairs(M.default_candidates) do add(d) end
    if opts.losses then
      for _, d in ipairs(M.loss_candidates) do add(d) end
    end
    if opts.single_answer then
      for _, d in ipairs(M.single_answer_candidates) do add(d) end
    end
  end
  for _, n in ipairs(opts.names or {}) do
    if n == "default" then add_defaults() else add(n) end
  end
  if not opts.names then add_defaults() end
  return out
end

--- The backtest tasks of a ladder (names ordered by compute, C their compute): predict the
--- top model from the ladder without its top k models, k = 1..cuts; then each of the next
--- `targets - 1` largest models from the ladder below it, k = 1..lower_cuts. A task's `rank`
--- is its target's place from the top (1: the ladder's top), `cut` its k, `id` its index.
---@param ladder string[]
---@param C number[]
---@param cuts? integer      default M.cuts
---@param targets? integer   default M.targets
---@return {ladder: string[], target: string, target_index: integer, rank: integer, distance: number, cut: integer, id: integer}[]
function M.tasks(ladder, C, cuts, targets)
  local n = #ladder
  local out = {}
  for rank = 1, targets or M.targets do
    local t = n - rank + 1
    for k = 1, rank == 1 and (cuts or M.cuts) or M.lower_cuts do
      local keep = t - k
      if keep < M.min_ladder then break end
      local d = math.log(C[t] / C[keep])
      if d >= M.min_distance then
        local sub = {}
        for i = 1, keep do sub[i] = ladder[i] end
        out[#out + 1] = { ladder = sub, target = ladder[t], target_index = t, rank = rank, distance = d, cut = k,
          id = #out + 1 }
      end
    end
  end
  return out
end

--- A backtest's short name: its cut ("2": the top predicted without the 2 models below it),
--- after the target's rank when the target is not the ladder's top ("#2 1").
---@param t {cut: integer, rank?: integer}
---@return string
function M.task_label(t)
  if (t.rank or 1) == 1 then return tostring(t.cut) end
  return ("#%d %d"):format(t.rank, t.cut)
end

--- Backtest every candidate on every task. `make_job(task)` returns the job of a task (or
--- raises); candidates are recipes. Each task (a cut: its job, every candidate on it) is
--- independent and returns plain numbers, so `map(tasks, fn)` may run them in parallel
--- (cod.parallel.map); the default runs them in order.
---@param make_job fun(task: table): table
---@param candidates cod.Recipe[]
---@param tasks table[]   from M.tasks
---@param map? fun(list: table[], fn: fun(task: table): table): table[]
---@return table<string, {errors: {error: number, distance: number, target: string, cut: integer}[], failures: string[], rate?: number, mean_abs?: number, complete?: boolean}>
function M.backtest(make_job, candidates, tasks, map)
  map = map or function(list, fn)
    local out = {}
    for i, x in ipairs(list) do out[i] = fn(x) end
    return out
  end
  local outcomes = map(tasks, function(task)
    local ok, job = pcall(make_job, task)
    local res = {}
    for i, r in ipairs(candidates) do
      if not ok then
        res[i] = { reason = tostring(job) }
      else
        local ran, got = pcall(r.run, r, job)
        if ran and got.prediction and got.actual then
          res[i] = { error = 100 * (got.prediction - got.actual), fallback = got.fallback and got.fallback.recipe or nil }
        else
          res[i] = { reason = ran and tostring(got.reason or "no prediction") or tostring(got) }
        end
      end
    end
    return res
  end)
  local out = {}
  for i, r in ipairs(candidates) do
    local entry = { errors = {}, failures = {} }
    for t, task in ipairs(tasks) do
      local o = outcomes[t][i]
      if o.error then
        entry.errors[#entry.errors + 1] = { error = o.error, distance = task.distance, target = task.target,
          cut = task.cut, rank = task.rank, task = task.id, fallback = o.fallback }
      else
        entry.failures[#entry.failures + 1] = ("%s: %s"):format(M.task_label(task), o.reason)
      end
    end
    M.score(entry, #tasks)
    out[r.name] = entry
  end
  return out
end

--- Weight of a backtest at cut k in the error rates behind intervals: the nearest cut
--- resembles the prediction most (its ladder is the longest), so a cut's weight falls as 1/k².
---@param k integer
---@return number
function M.cut_weight(k)
  return 1 / (k * k)
end

--- Weight of a backtest at cut k in the rates that weigh the candidates: the first cut only.
--- Its ladder is one model short of the real one; shorter ones punish forms with many
--- parameters (bnsl cannot fit 5 points) more than the real prediction does. Measured in
--- docs/recommend.md (mean FE 1.82 against 1.91 with 1/k² over 7 seeds x 4 settings).
---@param k integer
---@return number
function M.weight_cut_weight(k)
  return k == 1 and 1 or 0
end

local function rate_of(errors, cut_weight)
  cut_weight = cut_weight or M.cut_weight
  local se, sd = 0, 0
  for _, e in ipairs(errors) do
    local w = cut_weight(e.cut)
    local d = math.max(e.distance, M.distance_floor)
    se = se + w * e.error * e.error
    sd = sd + w * d * d
  end
  return sd > 0 and math.sqrt(se / sd) or nil
end

--- A candidate's backtest figures on one set: `rate` (points per unit ln-compute, cut-weighted
--- root of Σe²/Σd²) and `mean_abs` (mean |error|, points) over the backtests it made;
--- `complete` when it made every one (`failures` says why not).
---@param entry {errors: table[], failures: string[]}
---@param n_tasks integer
---@return table entry
function M.score(entry, n_tasks)
  local sa = 0
  for _, e in ipairs(entry.errors) do sa = sa + math.abs(e.error) end
  if #entry.errors > 0 then
    entry.rate = rate_of(entry.errors)
    entry.mean_abs = sa / #entry.errors
    entry.complete = #entry.errors == n_tasks
  end
  return entry
end

--- The candidates' weights over a dataset: each candidate's backtest errors on every set are
--- pooled into error rates (points per unit ln-compute, root of Σe²/Σd²): `rate` over every
--- cut (weights M.cut_weight; for intervals) and `weight_rate` over the cuts of
--- M.weight_cut_weight; its weight is 1/weight_rate². `prepared` holds each set's `backtest`
--- (from M.backtest) and `order` (candidate names).
---@param prepared {order: string[], backtest: table}[]
---@return table<string, {rate: number, weight_rate: number, weight: number, backtests: integer}> weights
function M.weights(prepared)
  local pooled, order = {}, {}
  for _, p in ipairs(prepared) do
    for _, name in ipairs(p.order) do
      if not pooled[name] then
        pooled[name] = {}
        order[#order + 1] = name
      end
      for _, e in ipairs(p.backtest[name].errors) do pooled[name][#pooled[name] + 1] = e end
    end
  end
  local out = {}
  for _, name in ipairs(order) do
    local rate = rate_of(pooled[name])
    local weight_rate = rate_of(pooled[name], M.weight_cut_weight)
    if rate and weight_rate then
      out[name] = { rate = rate, weight_rate = weight_rate, weight = 1 / math.max(weight_rate, M.min_rate) ^ 2,
        backtests = #pooled[name] }
    end
  end
  return out
end

--- The members of a set's combination: candidates with a prediction and a weight, with
--- weights normalised to sum 1, largest first (ties: candidate order).
---@param weights table    from M.weights
---@param predictions table<string, number>  each candidate's prediction of the target (nil: none)
---@param order string[]   candidate names in the user's order
---@return {name: string, weight: number}[]
function M.members(weights, predictions, order)
  local out, total = {}, 0
  for i, n in ipairs(order) do
    if predictions[n] and weights[n] then
      out[#out + 1] = { name = n, weight = weights[n].weight, order = i }
      total = total + weights[n].weight
    end
  end
  for _, m in ipairs(out) do m.weight = m.weight / total end
  table.sort(out, function(a, b)
    if a.weight ~= b.weight then return a.weight > b.weight end
    return a.order < b.order
  end)
  return out
end

--- A set's combined prediction and the combination's own backtest error rate (its errors at
--- each cut are the members' weighted errors, renormalised over the members that predicted).
---@param members {name: string, weight: number}[]   from M.members
---@param predictions table<string, number>
---@param bt table        from M.backtest (this set)
---@param tasks table[]   from M.tasks
---@return {prediction?: number, weights: table<string, number>, rate?: number, errors: table[]}
function M.combine(members, predictions, bt, tasks)
  local out = { weights = {}, errors = {} }
  if #members == 0 then return out end
  local p = 0
  for _, m in ipairs(members) do
    out.weights[m.name] = m.weight
    p = p + m.weight * predictions[m.name]
  end
  out.prediction = p
  for _, task in ipairs(tasks) do
    local num, den = 0, 0
    for _, m in ipairs(members) do
      for _, e in ipairs(bt[m.name].errors) do
        if e.task == task.id then
          num = num + m.weight * e.error
          den = den + m.weight
        end
      end
    end
    if den > 0 then
      out.errors[#out.errors + 1] = { error = num / den, distance = task.distance, cut = task.cut, rank = task.rank,
        task = task.id }
    end
  end
  out.rate = rate_of(out.errors)
  return out
end

--- Share of each candidate's systematic backtest error removed (docs/recommend.md: the
--- candidates over- or under-predict, each with its own trend in distance, which no weighting
--- undoes; the trend is already shrunk by its significance, so all of it is removed).
M.bias_shrink = 1
--- The trend b is shrunk by b²/(b² + bias_significance · se²): corrected almost in full only
--- when it stands about two standard errors clear of the scatter (docs/recommend.md: 4 against 1
--- ties on synthetic ladders and keeps BIG-G 27b at 1.0 points instead of 1.4).
M.bias_significance = 4

--- The systematic backtest error per unit ln-compute (signed, points): least squares through
--- the origin of error against distance (floored at M.distance_floor, as in the rates), cuts
--- weighted M.cut_weight. Positive: over-predicts. Returns it shrunk by its significance, and raw.
---@param errors {error: number, distance: number, cut: integer}[]
---@return number shrunk, number raw
function M.bias(errors)
  local num, den = 0, 0
  for _, e in ipairs(errors) do
    local w, d = M.cut_weight(e.cut), math.max(e.distance, M.distance_floor)
    num = num + w * e.error * d
    den = den + w * d * d
  end
  if den <= 0 or #errors < 2 then return 0, 0 end
  local b, rss = num / den, 0
  for _, e in ipairs(errors) do
    rss = rss + M.cut_weight(e.cut) * (e.error - b * math.max(e.distance, M.distance_floor)) ^ 2
  end
  -- Shrunk towards 0 by its own significance, b^2 / (b^2 + k se^2): a trend the backtests'
  -- scatter cannot support is not corrected.
  local se2 = rss / ((#errors - 1) * den)
  local shrunk = b * b * b / (b * b + M.bias_significance * se2)
  return shrunk, b
end

--- Whether single-answer (0/1) sets are corrected for the candidates' trends. They are not
--- (docs/recommend.md): every backtest of a set predicts the same top ladder model, whose 0/1
--- score carries binomial noise of several points; that shared noise, not a property of the
--- forms, is most of the trend the backtests show there (single-answer synthetic ladders:
--- 3.11 -> 2.95 mean FE over 74 seeds, worse on 2 blocks of 9; BIG-G 27b max 2.02 -> 1.50).
M.correct_single_answer = false

local function uncorrected(p)
  return p.single_answer and not M.correct_single_answer
end

--- Each candidate's systematic error over a dataset: its backtest errors on every set pooled
--- into one M.bias (points per unit ln-compute). Sets marked `single_answer` are left out
--- (M.correct_single_answer). `prepared` as for M.weights.
---@param prepared {order: string[], backtest: table, single_answer?: boolean}[]
---@return table<string, number>
function M.candidate_biases(prepared)
  local pooled, out = {}, {}
  for _, p in ipairs(prepared) do
    for _, name in ipairs(uncorrected(p) and {} or p.order) do
      pooled[name] = pooled[name] or {}
      for _, e in ipairs(p.backtest[name].errors) do pooled[name][#pooled[name] + 1] = e end
    end
  end
  for name, errs in pairs(pooled) do out[name] = (M.bias(errs)) end
  return out
end

--- The correction (points, to subtract) of a systematic error `bias` at extrapolation distance
--- `distance`: M.bias_shrink · bias · distance. None below M.distance_floor: there, errors are
--- checkpoint-to-checkpoint noise (pythia-arith: the ladder's top checkpoints jump by 10-50
--- points), not an error that grows with distance, and extrapolating a trend to them misleads.
---@param bias number        points per unit ln-compute
---@param distance? number   ln-compute (nil: unknown, no correction)
---@return number
function M.correction(bias, distance)
  if not distance or distance < M.distance_floor then return 0 end
  return M.bias_shrink * bias * distance
end

--- A set's candidates corrected for their systematic errors: predictions less the correction
--- at the target's distance (clamped to [0, 1]), backtest errors less it at each backtest's
--- distance. The result has the fields M.weights and M.combine read (order, backtest,
--- predictions, tasks) and `corrections` (points subtracted from each prediction). A
--- `single_answer` set is not corrected (M.correct_single_answer): its corrections are 0.
---@param p {order: string[], backtest: table, predictions: table<string, number>, tasks: table[], single_answer?: boolean}
---@param biases table<string, number>   from M.candidate_biases
---@param distance? number               the target's ln-compute beyond the ladder's top
---@return table
function M.corrected(p, biases, distance)
  local out = { order = p.order, tasks = p.tasks, backtest = {}, predictions = {}, corrections = {},
    single_answer = p.single_answer }
  for _, name in ipairs(p.order) do
    local b = uncorrected(p) and 0 or biases[name] or 0
    local entry = { errors = {}, failures = p.backtest[name].failures }
    for i, e in ipairs(p.backtest[name].errors) do
      local c = {}
      for k, v in pairs(e) do c[k] = v end
      c.error = e.error - M.correction(b, e.distance)
      entry.errors[i] = c
    end
    M.score(entry, #p.tasks)
    out.backtest[name] = entry
    local pred = p.predictions[name]
    if pred then
      local corr = M.correction(b, distance)
      local v = math.min(1, math.max(0, pred - corr / 100))
      out.predictions[name] = v
      out.corrections[name] = 100 * (pred - v)
    end
  end
  return out
end

--- Whether a single-answer set's interval includes the target's own sampling noise
--- (M.target_sd). Off: measured to over-cover synthetic 0/1 sets (98% on 50 fresh seeds)
--- while it restores BIG-G 27b's coverage (docs/recommend.md, fifth round).
M.single_answer_target_noise = false

--- The sampling sd of the target's score on a single-answer (0/1) set of `items` items, in
--- metric units: its score is a mean of 0/1 answers, sd <= sqrt(p(1-p)/N) at mean p. No
--- backtest measures it for the target (each predicts a fixed ladder model's one draw). 0 on
--- other sets: with repeated samples per item it is a tenth of a point or less.
---@param prediction number  the headline (metric units, in [0, 1])
---@param items integer|nil  the set's items
---@param single_answer boolean|nil
---@return number
function M.target_sd(prediction, items, single_answer)
  if not (single_answer and M.single_answer_target_noise) or not items or items < 1 then return 0 end
  local p = math.min(1, math.max(0, prediction))
  return math.sqrt(p * (1 - p) / items)
end

--- The 90% interval on a prediction: the bootstrap's half-widths (sampling noise of the
--- ladder), the model error the backtests reveal, scaled to the target's distance D, and the
--- target's own sampling noise (`target_sd`, M.target_sd), added in quadrature on each side.
--- Clamped to [0, 1]. `boot` may be nil (no bootstrap).
---@param prediction number
---@param rate number|nil   backtest error rate (points per unit ln-compute)
---@param distance number   target's ln-compute beyond the ladder's top
---@param boot? number[]    bootstrap interval {lo, hi} at 90%
---@param target_sd? number the target score's sampling sd (metric units; default 0)
---@return number[] interval, number model_half (in metric units)
function M.interval(prediction, rate, distance, boot, target_sd)
  local r = math.max(rate or 0, M.min_rate)
  local model_half = M.z90 * M.kappa * r * math.max(distance, M.distance_floor) / 100
  local noise_half = M.z90 * (target_sd or 0)
  local lo_b, hi_b = 0, 0
  if boot then
    lo_b = math.max(0, prediction - boot[1])
    hi_b = math.max(0, boot[2] - prediction)
  end
  local lo = prediction - math.sqrt(model_half ^ 2 + lo_b ^ 2 + noise_half ^ 2)
  local hi = prediction + math.sqrt(model_half ^ 2 + hi_b ^ 2 + noise_half ^ 2)
  return { math.max(0, lo), math.min(1, hi) }, model_half
end

return M
