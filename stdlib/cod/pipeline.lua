--- cod.pipeline: the COD stages as composable steps, and recipes built from them.
---
--- A *job* (cod.Job below) is one evaluation set with its models chosen (made by
--- cod.predict.job): the ladder and its compute, the target, the pass rates and metrics.
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
local extrapolate = require("cod.extrapolate")
local errors = require("cod.errors")
local check = require("cod.check")

local M = {}

---@class cod.Job  one evaluation set with its models chosen (cod.predict.job)
---@field ds cod.Dataset
---@field set string                     the evaluation set
---@field ladder string[]                ladder model names, by compute
---@field C number[]                     their compute (compute units)
---@field target string|nil              the target model (nil when predicting at a compute)
---@field target_C number                the target compute (compute units)
---@field anchors string[]               anchor model names (mapping only)
---@field P cod.Matrix                   items × the set's models used (ladder, anchors, target): pass rates
---@field col table<string, integer>     model name -> column of P
---@field X cod.Matrix                   clustering features: items × ladder (maybe smoothed)
---@field Y cod.Matrix                   raw ladder pass rates: items × ladder
---@field full table<string, number>     full-set metric per model
---@field mean table<string, number>     mean pass rate per model
---@field actual number|nil              the target's full-set metric, when known
---@field items integer                  number of items
---@field item_ids string[]              item ids, by row
---@field loss table<string, number>     model losses, when known
---@field seed integer|nil
---@field transfer_ladder string[]|nil   recipe transfer: the source family's ladder
---@field transfer_labels table|nil      recipe transfer: {[item_id] = label} for this set

---@class cod.State  what the stages of one recipe run add, in order
---@field recipe string                  the recipe's name
---@field failed string|nil              set by a stage that gives up: the reason (the recipe stops)
---@field zero integer[]|nil             features: zero-performance items
---@field active integer[]|nil           features: items clustered
---@field X_active cod.Matrix|nil        features: their rows of job.X
---@field labels integer[]|nil           cluster: a label per item, 1..k or -1
---@field cluster_method string|nil      cluster: the method's name
---@field cluster_facts table|nil        cluster: the method's result (facts shown in reports)
---@field cluster_mode table|nil         cluster: exact or large-set Improved MeanShift, and why ({mode, reason, ...})
---@field clusters table[]|nil           fit: {label, size, rows, y, fit, center, extrapolatable?, rejected_by?, prediction?}
---@field form string|nil                fit: the form's name
---@field rule string|nil                filter: the rule's name
---@field subset integer[]|nil           extrapolate: items of the predictable subset S
---@field subset_prediction number|nil   extrapolate: ŷ_S
---@field mapping cod.MappingResult|nil  map: the fitted mapping
---@field mapping_points table[]|nil     map: its points {x, y, anchor, name}
---@field prediction number|nil          map / e2e / loss_intermediate: p̂

---@alias cod.Stage fun(job: cod.Job, state: cod.State, opts: table)

---@class cod.Step  one step of a recipe
---@field name string        the stage's name (a key of pipeline.stages)
---@field opts table         the stage's options
---@field fn? cod.Stage      a replacement for the registered stage function

--- Registered stage functions by name; add your own with pipeline.stages.name = fn.
---@type table<string, cod.Stage>
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

-- A stage's options are settings a user wrote in a recipe: a misspelled key or a wrong type
-- is a user error (one line), not a bug.
local function check_opts(stage, opts, spec)
  check.user.options(("stage '%s'"):format(stage), opts, spec)
end

-- ------------------------------------------------------------------ stages

--- features: drop zero-performance items (SPEC §2). opts.keep_zero keeps them in clustering.
function M.stages.features(job, st, opts)
  check_opts("features", opts, { keep_zero = "boolean" })
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
  check_opts("irt_features", opts, { slope_sd = "number", difficulty_sd = "number", ability_sd = "number",
    max_iterations = "integer", fit_curves = "boolean" })
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
  check_opts("irt_extrapolate", opts, { slope_sd = "number", difficulty_sd = "number", ability_sd = "number",
    max_iterations = "integer" })
  local irt = require("cod.irt")
  local fit = irt.fit(job.Y, opts)
  local e = irt.extrapolate(fit, job.C, job.target_C)
  st.irt = { ability = fit.ability, converged = fit.converged, status = fit.status, evaluations = fit.evaluations,
    target_ability = e.ability, ability_slope = e.slope }
  st.prediction = e.metric
  st.subset_prediction = e.metric
end

--- cluster: label the active items. opts.method (default "improved_meanshift", or a name given
--- to cluster.register) and the method's own options in opts.options; opts.labels gives labels by item id instead (transfer).
--- opts.large_sets: above this many distinct non-zero rows Improved MeanShift runs in large-set
--- mode (cluster.large_set_plan; 0 = never; other methods ignore it); job.exact_clustering forces exact.
function M.stages.cluster(job, st, opts)
  check_opts("cluster", opts, { method = "string", options = "table", labels = "table|function", all = "boolean",
    large_sets = "integer" })
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
    local options, plan = opts.options, nil
    if method == "improved_meanshift" and opts.large_sets ~= nil then
      plan = cluster.large_set_plan(st.X_active, opts.options, { threshold = opts.large_sets,
        exact = job.exact_clustering, why_exact = "exact clustering forced (--exact-clustering)" })
      options = plan.options
    end
    local res = cluster.run(method, st.X_active, options)
    if plan then
      st.cluster_mode = { mode = plan.mode, reason = plan.reason, threshold = plan.threshold,
        distinct_rows = plan.distinct_rows, bandwidth_rows = plan.bandwidth_rows,
        bandwidth_estimate = plan.bandwidth_estimate }
      res.large_set = plan.mode == "large-set"
      res.bin_seeding = plan.options.bin_seeding == true
    end
    local lab = res.labels
    if opts.all and res.assignments then lab = res.assignments end
    for k, i in ipairs(st.active) do labels[i] = lab[k] end
    st.cluster_method = method
    st.cluster_facts = res
  end
  st.labels = labels
end

--- fit: each cluster's mean pass rate per ladder model against compute (SPEC §4).
--- opts.form (name or law.form), opts.fixed ({g = 0.25}), opts.weights; opts.starts and
--- opts.local_starts go to law.fit_clusters (cod.bootstrap's rounds start from the main run's fits).
function M.stages.fit(job, st, opts)
  check_opts("fit", opts, { form = "string|table", fixed = "table", weights = "any", threads = "integer",
    starts = "table", local_starts = "integer" })
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
    { form = form, fixed = opts.fixed, weights = opts.weights, threads = opts.threads or 2, starts = opts.starts,
      local_starts = opts.local_starts })
  for _, c in ipairs(fits) do
    c.rows = members[c.label]
    c.center = job.X:col_means(c.rows)
  end
  st.clusters = fits
  st.form = type(form) == "string" and form or form.name
end

--- filter: keep the clusters that extrapolate (SPEC §5, §13). opts.rule (default "cod": the
--- paper's rule plus the degenerate-fit test; "paper" for the paper's alone): a registered name,
--- a filters rule, or a function(view) -> ok, reason.
function M.stages.filter(job, st, opts)
  check_opts("filter", opts, { rule = "string|table|function" })
  local rule = filters.get(opts.rule or "cod")
  -- Rules that look at the curve between ladder points (the degenerate-fit test) need its compute.
  for _, c in ipairs(st.clusters) do c.x = job.C end
  filters.apply(rule, st.clusters)
  st.rule = rule.name
end

--- extrapolate: the size-weighted subset prediction at the target compute (SPEC §6, through
--- cod.extrapolate). opts.all_items: average over every item, zero items predicted 0 (cod_no_mapping).
function M.stages.extrapolate(job, st, opts)
  check_opts("extrapolate", opts, { all_items = "boolean" })
  local pred = extrapolate.predict(st.clusters, job.target_C, { all_items = opts.all_items and job.items or nil })
  local subset = {}
  for k, c in ipairs(st.clusters) do
    c.prediction = pred.clusters[k].prediction
    if c.extrapolatable then
      for _, i in ipairs(c.rows) do subset[#subset + 1] = i end
    end
  end
  if opts.all_items then
    -- Every item is in the average (zero-performance and unclustered ones as 0).
    subset = {}
    for i = 1, job.items do subset[i] = i end
  end
  table.sort(subset)
  st.subset = subset
  if not pred.ok then
    st.failed = pred.reason
    return
  end
  st.subset_prediction = pred.value
end

--- map: subset metric → full-set metric through ladder (and anchor) points (SPEC §7).
--- opts.method ("spline", "quartic", "pchip", "identity", or a name given to mapping.register
--- with its options in opts.options), opts.anchors (default true), opts.threshold (spline RMSE
--- target, default 0.005).
function M.stages.map(job, st, opts)
  check_opts("map", opts, { method = "string", anchors = "boolean", threshold = "number", options = "table" })
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
  local m = mapping.fit(points, { method = method, threshold = opts.threshold, options = opts.options })
  st.mapping = m
  st.mapping_points = points
  st.prediction = m:eval(st.subset_prediction)
end

--- e2e: an end-to-end baseline on the full-set metric (SPEC §9).
--- opts.form: "cod" (e2e_exp), "f3" (e2e_passrate on the mean pass rate), "bnsl"; opts.starts and
--- opts.local_starts go to law.fit.
function M.stages.e2e(job, st, opts)
  check_opts("e2e", opts, { form = "string|table", passrate = "boolean", fixed = "table", starts = "table",
    local_starts = "integer" })
  local y = {}
  for j, name in ipairs(job.ladder) do
    if opts.passrate then
      y[j] = job.mean[name]
    else
      y[j] = job.full[name]
    end
  end
  local fit = law.fit(opts.form or "cod", job.C, y, { fixed = opts.fixed, starts = opts.starts,
    local_starts = opts.local_starts })
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
---@field steps cod.Step[]
---@field fallback? string   recipe name used when this one fails
local Recipe = {}
Recipe.__index = Recipe

--- Make a recipe from {name, description, steps = {{"features", {}}, {"cluster", {...}}, ...}, fallback}.
---@param t {name: string, description?: string, steps: table[], fallback?: string, kind?: string}
---@return cod.Recipe
function M.recipe(t)
  check.arg("recipe", 1, t, "table")
  check.options("recipe", t, { name = "string", description = "string", steps = "table", fallback = "string",
    kind = "string" })
  if t.name == nil or t.name == "" then check.arg_fail("recipe", 1, "a recipe needs a non-empty name") end
  if t.steps == nil or #t.steps == 0 then
    check.arg_fail("recipe", 1, ("recipe '%s' needs a non-empty list of steps"):format(t.name))
  end
  local steps = {}
  for i, s in ipairs(t.steps) do
    if type(s) ~= "table" then
      check.arg_fail("recipe", 1, ("recipe '%s': step %d must be a table {stage, opts}, got %s"):format(t.name, i,
        type(s)))
    end
    local name, opts = s[1] or s.name, s[2] or s.opts or {}
    if type(name) ~= "string" then
      check.arg_fail("recipe", 1, ("recipe '%s': step %d needs a stage name"):format(t.name, i))
    end
    if type(opts) ~= "table" then
      check.arg_fail("recipe", 1, ("recipe '%s': step %d's options must be a table, got %s"):format(t.name, i,
        type(opts)))
    end
    if s.fn ~= nil and type(s.fn) ~= "function" then
      check.arg_fail("recipe", 1, ("recipe '%s': step %d's fn must be a function"):format(t.name, i))
    end
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

-- "recipe 'cod' has no stage 'fitt' (did you mean 'fit'?) (stages: ...)"
local function no_stage(self, name)
  local names = {}
  for _, s in ipairs(self.steps) do names[#names + 1] = s.name end
  return ("recipe '%s' has no stage '%s'%s (stages: %s)"):format(self.name, tostring(name),
    errors.did_you_mean(name, names), table.concat(names, ", "))
end

local function find_step(self, name)
  for _, s in ipairs(self.steps) do
    if s.name == name then return s end
  end
  error(no_stage(self, name), 3)
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
  check.arg("insert", 1, after, "string?")
  check.arg("insert", 2, name, "string")
  check.arg("insert", 3, opts, "table?")
  check.arg("insert", 4, fn, "function?")
  if fn == nil and M.stages[name] == nil then
    local names = {}
    for n in pairs(M.stages) do names[#names + 1] = n end
    table.sort(names)
    check.arg_fail("insert", 2, ("no stage function '%s'%s: give fn or register pipeline.stages.%s (stages: %s)")
      :format(name, errors.did_you_mean(name, names), name, table.concat(names, ", ")))
  end
  local r = derive(self)
  local pos = #r.steps + 1
  if after then
    pos = nil
    for i, s in ipairs(r.steps) do
      if s.name == after then pos = i + 1 end
    end
    if pos == nil then check.arg_fail("insert", 1, no_stage(self, after)) end
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

--- The step of `recipe` that clusters with the registered Improved MeanShift stage (no
--- replacement fn, no transfer labels), or nil: the step a cheaper variant may change.
---@param recipe cod.Recipe
---@return cod.Step|nil
function M.meanshift_step(recipe)
  for _, s in ipairs(recipe.steps or {}) do
    if s.name == "cluster" and s.fn == nil and s.opts.labels == nil
      and (s.opts.method == nil or s.opts.method == "improved_meanshift") then
      return s
    end
  end
  return nil
end

--- Run a recipe on a job (with its fallback when it fails); returns the §8 result table.
function Recipe:run(job)
  local st = self:run_stages(job)
  local r = require("cod.report").summarise_set(job, st, self)
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
