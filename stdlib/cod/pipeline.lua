--- cod.pipeline: the COD stages as composable steps, and recipes built from them.
---
--- A *job* is one evaluation set with its models chosen (made by cod.predict.job):
---   job.set, job.ladder (names by compute), job.C (their compute), job.target, job.target_C,
---   job.anchors, job.P (cod.Matrix items × job.columns), job.col[name] (column in P),
---   job.X (clustering features: items × ladder, maybe smoothed), job.Y (raw ladder pass rates),
---   job.full[name] (full-set metric), job.mean[name] (mean pass rate), job.actual (target's full metric),
---   job.items (item count), job.item_ids, job.loss[name], job.seed.
--- A *stage* is `function(job, state, opts)`; it reads and adds fields of `state`, or sets
--- `state.failed = reason` to stop the recipe. A *recipe* is an ordered list of stages
--- with their options; `recipe:with{stage = opts}`, `recipe:replace(stage, fn)` and
--- `recipe:wrap(stage, fn)` derive new recipes in a line.
---
---   local pipeline = require("cod.pipeline")
---   local cod = require("cod.recipes").get("cod")
---   local mine = cod:with{ fit = { form = "f2" } }:rename("cod_f2_mine")
---   local result = mine:run(job)

local cluster = require("cod.cluster")
local law = require("cod.law")
local filters = require("cod.filters")
local mapping = require("cod.mapping")

local M = {}

--- Registered stage functions by name; add your own with pipeline.stages.name = fn.
---@type table<string, fun(job: table, state: table, opts: table)>
M.stages = {}

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

local function mean(v)
  local s = 0
  for _, x in ipairs(v) do s = s + x end
  return s / #v
end

local function check_opts(stage, opts, valid)
  for k in pairs(opts) do
    if not valid[k] then
      local names = {}
      for n in pairs(valid) do names[#names + 1] = n end
      table.sort(names)
      error(("bad option '%s' to stage '%s' (valid options: %s)"):format(tostring(k), stage,
        table.concat(names, ", ")), 0)
    end
  end
end

-- ------------------------------------------------------------------ stages

--- features: drop zero-performance items (SPEC §2). opts.keep_zero keeps them in clustering.
function M.stages.features(job, st, opts)
  check_opts("features", opts, { keep_zero = true })
  local zero = require("cod.data").zero_items(job.X)
  local is_zero = {}
  for _, i in ipairs(zero) do is_zero[i] = true end
  local active = {}
  for i = 1, job.items do
    if opts.keep_zero or not is_zero[i] then active[#active + 1] = i end
  end
  st.zero = zero
  st.active = active
  st.X_active = job.X:select_rows(active)
end

--- irt_features: like features, but clustering sees each item's smooth item-response curve over
--- the ladder (cod.irt, SPEC §14) instead of its raw 0/1 pattern; zero items stay the raw ones.
--- opts are cod.irt.fit's (slope_sd, difficulty_sd, ability_sd, max_iterations) and `fit_curves`:
--- true makes the fit stage fit each cluster's mean *curve* rather than its raw mean accuracy.
function M.stages.irt_features(job, st, opts)
  check_opts("irt_features", opts, { slope_sd = true, difficulty_sd = true, ability_sd = true, max_iterations = true,
    fit_curves = true })
  M.stages.features(job, st, {})
  local fit_opts = {}
  for k, v in pairs(opts) do
    if k ~= "fit_curves" then fit_opts[k] = v end
  end
  local fit = require("cod.irt").fit(job.Y, fit_opts)
  if opts.fit_curves then st.fit_Y = fit.curves end
  st.irt = { ability = fit.ability, converged = fit.converged, status = fit.status, evaluations = fit.evaluations }
  st.X_active = fit.curves:select_rows(st.active)
end

--- irt_extrapolate: an end-to-end item-response prediction (SPEC §14): the joint fit's abilities
--- are extrapolated linearly in log-compute and every item's curve is read at the target; the
--- prediction is their mean. opts are cod.irt.fit's.
function M.stages.irt_extrapolate(job, st, opts)
  check_opts("irt_extrapolate", opts, { slope_sd = true, difficulty_sd = true, ability_sd = true,
    max_iterations = true })
  local irt = require("cod.irt")
  local fit = irt.fit(job.Y, opts)
  local e = irt.extrapolate(fit, job.C, job.target_C)
  st.irt = { ability = fit.ability, converged = fit.converged, status = fit.status, evaluations = fit.evaluations,
    target_ability = e.ability, ability_slope = e.slope }
  st.prediction = e.metric
  st.subset_prediction = e.metric
end

--- cluster: label the active items. opts.method (default "improved_meanshift") and the
--- method's own options in opts.options; opts.labels gives labels by item id instead (transfer).
function M.stages.cluster(job, st, opts)
  check_opts("cluster", opts, { method = true, options = true, labels = true, all = true })
  local labels = {}
  for i = 1, job.items do labels[i] = -1 end
  if opts.labels then
    -- Transfer: labels saved from another ladder, by item id.
    local given = opts.labels
    if type(given) == "function" then given = given(job) end
    for _, i in ipairs(st.active) do
      local l = given[job.item_ids[i]]
      if l ~= nil then labels[i] = l end
    end
    st.cluster_method = "transfer"
    st.cluster_facts = {}
  elseif #st.active == 0 then
    st.cluster_method = opts.method or "improved_meanshift"
    st.cluster_facts = { reason = "no item has a non-zero pass rate on the ladder" }
  else
    local method = opts.method or "improved_meanshift"
    local fn = cluster[method]
    if type(fn) ~= "function" then
      error(("unknown clustering method '%s' (methods: %s)"):format(tostring(method),
        table.concat(cluster.methods, ", ")), 0)
    end
    local res = fn(st.X_active, opts.options)
    local lab = res.labels
    if opts.all and res.assignments then lab = res.assignments end
    for k, i in ipairs(st.active) do labels[i] = lab[k] end
    st.cluster_method = method
    st.cluster_facts = res
  end
  st.labels = labels
end

--- fit: each cluster's mean pass rate per ladder model against compute (SPEC §4).
--- opts.form (name or law.form), opts.fixed ({g = 0.25}), opts.weights.
function M.stages.fit(job, st, opts)
  check_opts("fit", opts, { form = true, fixed = true, weights = true, threads = true })
  local form = opts.form or "cod"
  local members = {}
  for i, l in ipairs(st.labels) do
    if l ~= -1 then
      local m = members[l]
      if not m then
        m = {}
        members[l] = m
      end
      m[#m + 1] = i
    end
  end
  local fits = law.fit_clusters(st.fit_Y or job.Y, st.labels, job.C,
    { form = form, fixed = opts.fixed, weights = opts.weights, threads = opts.threads or 2 })
  for _, c in ipairs(fits) do
    c.rows = members[c.label]
    c.center = job.X:col_means(c.rows)
  end
  st.clusters = fits
  st.form = type(form) == "string" and form or form.name
end

--- filter: keep the clusters that extrapolate (SPEC §5). opts.rule: a registered name,
--- a filters rule, or a function(view) -> ok, reason.
function M.stages.filter(job, st, opts)
  check_opts("filter", opts, { rule = true })
  local rule = filters.get(opts.rule or "paper")
  filters.apply(rule, st.clusters)
  st.rule = rule.name
end

--- extrapolate: the size-weighted subset prediction at the target compute (SPEC §6).
--- opts.all_items: average over every item, zero items predicted 0 (cod_no_mapping).
function M.stages.extrapolate(job, st, opts)
  check_opts("extrapolate", opts, { all_items = true })
  local num, den, subset = 0, 0, {}
  for _, c in ipairs(st.clusters) do
    if c.fit.ok then c.prediction = c.fit:eval(job.target_C) end
    if c.extrapolatable then
      num = num + c.size * c.prediction
      den = den + c.size
      for _, i in ipairs(c.rows) do subset[#subset + 1] = i end
    elseif opts.all_items and not c.fit.ok then
      -- A cluster whose curve could not be fitted (flat): it keeps its last observed value.
      c.prediction = c.y[#c.y]
      num = num + c.size * c.prediction
      den = den + c.size
      for _, i in ipairs(c.rows) do subset[#subset + 1] = i end
    end
  end
  if opts.all_items then
    -- Zero-performance and unclustered items count as predicted 0.
    den = job.items
    subset = {}
    for i = 1, job.items do subset[i] = i end
  end
  table.sort(subset)
  st.subset = subset
  if den == 0 then
    st.failed = "no extrapolatable cluster"
    return
  end
  st.subset_prediction = num / den
end

--- map: subset metric → full-set metric through ladder (and anchor) points (SPEC §7).
--- opts.method ("spline", "quartic", "pchip", "identity"), opts.anchors (default true),
--- opts.threshold (spline RMSE target, default 0.005).
function M.stages.map(job, st, opts)
  check_opts("map", opts, { method = true, anchors = true, threshold = true })
  local method = opts.method or "spline"
  local points = {}
  local use_anchors = opts.anchors ~= false
  local means = job.P:col_means(st.subset)
  local function add(name, kind)
    local x = means[job.col[name]]
    local y = job.full[name]
    if y ~= nil and x == x then points[#points + 1] = { x = x, y = y, anchor = kind == "anchor", name = name } end
  end
  if method ~= "identity" then
    for _, name in ipairs(job.ladder) do add(name, "ladder") end
    if use_anchors then
      for _, name in ipairs(job.anchors) do add(name, "anchor") end
    end
  end
  local m = mapping.fit(points, { method = method, threshold = opts.threshold })
  st.mapping = m
  st.mapping_points = points
  st.prediction = m:eval(st.subset_prediction)
end

--- e2e: an end-to-end baseline on the full-set metric (SPEC §9).
--- opts.form: "cod" (e2e_exp), "f3" (e2e_passrate on the mean pass rate), "bnsl".
function M.stages.e2e(job, st, opts)
  check_opts("e2e", opts, { form = true, passrate = true, fixed = true })
  local y = {}
  for j, name in ipairs(job.ladder) do
    if opts.passrate then
      y[j] = job.mean[name]
    else
      y[j] = job.full[name]
    end
  end
  local fit = law.fit(opts.form or "cod", job.C, y, { fixed = opts.fixed })
  st.e2e_fit = fit
  st.e2e_y = y
  if not fit.ok then
    st.failed = "end-to-end fit failed: " .. tostring(fit.reason)
    return
  end
  st.prediction = fit:eval(job.target_C)
  st.subset_prediction = st.prediction
  st.subset = nil
end

--- loss_intermediate: compute → loss → metric (SPEC §9); needs every ladder model's loss.
function M.stages.loss_intermediate(job, st, opts)
  check_opts("loss_intermediate", opts, {})
  local losses, y = {}, {}
  for j, name in ipairs(job.ladder) do
    local l = job.loss[name]
    if l == nil then
      st.failed = ("model '%s' has no loss (the models CSV needs a loss column)"):format(name)
      return
    end
    losses[j] = l
    y[j] = job.full[name]
  end
  local lfit = law.fit("loss_power", job.C, losses)
  if not lfit.ok then
    st.failed = "loss fit failed: " .. tostring(lfit.reason)
    return
  end
  local predicted_loss = lfit:eval(job.target_C)
  local mfit = law.fit("loss_sigmoid", losses, y)
  if not mfit.ok then
    st.failed = "loss-to-metric fit failed: " .. tostring(mfit.reason)
    return
  end
  st.loss_fit, st.metric_fit, st.predicted_loss = lfit, mfit, predicted_loss
  st.prediction = mfit:eval(predicted_loss)
  st.subset_prediction = st.prediction
end

-- ------------------------------------------------------------------ recipes

---@class cod.Recipe
---@field name string
---@field description string
---@field steps {name: string, opts: table, fn?: function}[]
---@field fallback? string   recipe name used when this one fails
local Recipe = {}
Recipe.__index = Recipe

--- Make a recipe from {name, description, steps = {{"features", {}}, {"cluster", {...}}, ...}, fallback}.
---@return cod.Recipe
function M.recipe(t)
  assert(type(t.name) == "string", "recipe needs a name")
  local steps = {}
  for i, s in ipairs(t.steps or {}) do
    local name, opts = s[1] or s.name, s[2] or s.opts or {}
    if type(name) ~= "string" then error(("recipe '%s': step %d needs a stage name"):format(t.name, i), 2) end
    steps[i] = { name = name, opts = opts, fn = s.fn }
  end
  return setmetatable({ name = t.name, description = t.description or "", steps = steps,
    fallback = t.fallback, kind = t.kind or "cod" }, Recipe)
end

function M.is_recipe(v)
  return getmetatable(v) == Recipe
end

local function derive(self)
  local r = setmetatable({ name = self.name, description = self.description, steps = {},
    fallback = self.fallback, kind = self.kind }, Recipe)
  for i, s in ipairs(self.steps) do r.steps[i] = { name = s.name, opts = copy(s.opts), fn = s.fn } end
  return r
end

local function find_step(self, name)
  for _, s in ipairs(self.steps) do
    if s.name == name then return s end
  end
  local names = {}
  for _, s in ipairs(self.steps) do names[#names + 1] = s.name end
  error(("recipe '%s' has no stage '%s' (stages: %s)"):format(self.name, name, table.concat(names, ", ")), 3)
end

--- A copy with some stages' options changed: r:with{fit = {form = "f1"}, map = {anchors = false}}.
--- Options merge into the stage's own; `fallback = false|name` changes the fallback.
function Recipe:with(changes)
  local r = derive(self)
  for stage, opts in pairs(changes) do
    if stage == "fallback" then
      r.fallback = opts or nil
    else
      local s = find_step(r, stage)
      for k, v in pairs(opts) do s.opts[k] = v end
    end
  end
  return r
end

--- A copy under another name (and description).
function Recipe:rename(name, description)
  local r = derive(self)
  r.name = name
  if description then r.description = description end
  return r
end

--- A copy whose stage `name` runs `fn(job, state, opts)` instead.
function Recipe:replace(name, fn)
  local r = derive(self)
  find_step(r, name).fn = fn
  return r
end

--- A copy whose stage `name` runs `fn(inner, job, state, opts)`; call inner(job, state, opts) to run the original.
function Recipe:wrap(name, fn)
  local r = derive(self)
  local s = find_step(r, name)
  local inner = s.fn or M.stages[s.name]
  s.fn = function(job, st, opts) return fn(inner, job, st, opts) end
  return r
end

--- A copy with a stage inserted after `after` (nil: at the end).
function Recipe:insert(after, name, opts, fn)
  local r = derive(self)
  local pos = #r.steps + 1
  if after then
    for i, s in ipairs(r.steps) do
      if s.name == after then pos = i + 1 end
    end
  end
  table.insert(r.steps, pos, { name = name, opts = opts or {}, fn = fn })
  return r
end

--- Run the stages on a job; returns the state (state.failed set when a stage gave up).
function Recipe:run_stages(job)
  local st = { recipe = self.name }
  for _, s in ipairs(self.steps) do
    local fn = s.fn or M.stages[s.name]
    if type(fn) ~= "function" then
      error(("recipe '%s': no stage function '%s'"):format(self.name, s.name), 0)
    end
    fn(job, st, s.opts)
    -- A replaced stage must leave the state's shape intact; say which stage broke it.
    for _, key in ipairs({ "labels", "clusters", "subset" }) do
      if st[key] ~= nil and type(st[key]) ~= "table" then
        error(("recipe '%s': stage '%s' left state.%s as a %s (a table expected)"):format(self.name, s.name, key,
          type(st[key])), 0)
      end
    end
    if st.failed then break end
  end
  return st
end

M.Recipe = Recipe

--- The result table of SPEC §8 for one set from a finished state.
---@return table
function M.summarise(job, st, recipe)
  local r = {
    name = job.set,
    recipe = recipe.name,
    ok = st.failed == nil,
    reason = st.failed,
    target = job.target,
    target_compute = job.target_C,
    items = job.items,
    prediction = st.prediction,
    subset_prediction = st.subset_prediction,
  }
  if st.subset then
    r.predictable_ratio = #st.subset / job.items
    r.subset_size = #st.subset
  else
    r.predictable_ratio = (st.failed == nil) and 1 or nil
  end
  if st.zero then r.zero_items = #st.zero end
  if st.labels then
    local clustered = 0
    for _, l in ipairs(st.labels) do
      if l ~= -1 then clustered = clustered + 1 end
    end
    r.clustering = {
      method = st.cluster_method,
      clustered = clustered,
      outlier_rate = 100 * (job.items - clustered) / job.items,
      iad = cluster.iad(job.X, st.labels),
      facts = st.cluster_facts and cluster.facts and cluster.facts(st.cluster_facts) or nil,
    }
  end
  if st.clusters then
    r.form = st.form
    r.rule = st.rule
    local cs = {}
    for k, c in ipairs(st.clusters) do
      cs[k] = {
        label = c.label,
        size = c.size,
        center = c.center,
        observed = c.y,
        params = c.fit.ok and c.fit.params or nil,
        sse = c.fit.ok and c.fit.sse or nil,
        r2 = c.fit.ok and c.fit.r2 or nil,
        converged = c.fit.converged,
        extrapolatable = c.extrapolatable or false,
        rejected_by = c.rejected_by and (c.rejected_by.rule .. ": " .. c.rejected_by.clause) or nil,
        prediction = c.prediction,
      }
    end
    r.clusters = cs
  end
  if st.mapping then
    local m = st.mapping
    r.mapping = {
      method = m.method,
      lambda = m.lambda,
      rmse = m.rmse,
      monotone_forced = m.monotone_forced,
      interpolation_missed = m.interpolation_missed,
      points = st.mapping_points,
    }
  end
  if st.e2e_fit then
    r.fit = { form = st.e2e_fit.form_name or st.e2e_fit.form, params = st.e2e_fit.params, sse = st.e2e_fit.sse,
      r2 = st.e2e_fit.r2, observed = st.e2e_y }
  end
  if st.predicted_loss then r.predicted_loss = st.predicted_loss end
  -- Truth, when the target's results are in the data.
  if job.target and job.col[job.target] and job.actual then
    r.actual = job.actual
    if st.subset and #st.subset > 0 then
      r.actual_subset = job.P:col_means(st.subset)[job.col[job.target]]
    end
    if r.prediction then r.fe = math.abs(r.prediction - r.actual) * 100 end
    if r.subset_prediction and r.actual_subset then
      r.ee = math.abs(r.subset_prediction - r.actual_subset) * 100
    end
  elseif job.actual then
    r.actual = job.actual
    if r.prediction then r.fe = math.abs(r.prediction - r.actual) * 100 end
  end
  r._state = st
  r._item_ids = job.item_ids
  return r
end

--- Run a recipe on a job (with its fallback when it fails); returns the §8 result table.
function Recipe:run(job)
  local st = self:run_stages(job)
  local r = M.summarise(job, st, self)
  if not r.ok and self.fallback then
    local fb = require("cod.recipes").get(self.fallback)
    local fr = fb:run(job)
    fr.recipe = self.name
    fr.fallback = { recipe = fb.name, reason = r.reason }
    fr.primary = r
    return fr
  end
  return r
end

return M
