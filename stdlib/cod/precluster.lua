--- cod.precluster: the heavy leading stages of a set's candidate recipes as worker tasks.
---
--- A candidate's run on the full set stays in the calling process (its result holds live fits
--- and mappings the report evaluates, which cannot leave a worker), but most of its time goes
--- to stages whose output is plain data: the clustering (labels and facts), the clusters'
--- law fits, an end-to-end fit, the loss fits. Those run as tasks of the same batch as the
--- other sets' (cod.parallel.gather), and each candidate then runs with those stages replaced
--- by the tasks' results: the same state, bit for bit, as running them here (a law fit of a
--- built-in form is plain numbers; law.restore gives it its type back).
---
---   local tasks = precluster.tasks(cands, job)              -- plain data, one per distinct piece of work
---   local pre = precluster.collect(tasks, map(tasks, function(t) return precluster.run_task(job, t) end))
---   local r = precluster.recipe(cand, pre)                  -- cand, or a copy that reuses the results
---
--- precluster.run(cands, job, map) does the three steps with one map.

local pipeline = require("cod.pipeline")
local law = require("cod.law")

local M = {}

-- A canonical text of plain option values (nil when something is not plain data).
local function canon(v)
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and ("%d"):format(v) or ("%.17g"):format(v) end
  if t == "string" then return ("%q"):format(v) end
  if t == "boolean" or t == "nil" then return tostring(v) end
  if t ~= "table" then return nil end
  local keys = {}
  for k in pairs(v) do
    if type(k) ~= "string" and math.type(k) ~= "integer" then return nil end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) == "number" end
    return a < b
  end)
  local parts = {}
  for i, k in ipairs(keys) do
    local s = canon(v[k])
    if not s then return nil end
    parts[i] = canon(k) .. "=" .. s
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- A registered stage with plain options whose law form, if any, is a built-in one by name.
local function plain_step(s, name)
  if not s or s.name ~= name or s.fn ~= nil then return nil end
  if s.opts.form ~= nil and type(s.opts.form) ~= "string" then return nil end
  return canon(s.opts)
end

-- The clustering a recipe starts with, when it can run elsewhere: its first two steps are
-- the registered features and cluster stages (no replacement, no transfer labels) with
-- plain options. Returns the key of that clustering, the two steps' options, and the key
-- and options of a registered fit stage right after it (or nil).
local function clustering_of(recipe)
  local f, c = recipe.steps[1], recipe.steps[2]
  if not (plain_step(f, "features") and plain_step(c, "cluster")) or c.opts.labels ~= nil then return nil end
  local key = canon({ f.opts, c.opts })
  local fit = recipe.steps[3]
  local fit_key = plain_step(fit, "fit")
  return key, f.opts, c.opts, fit_key, fit_key and fit.opts or nil
end

-- The first stage of a recipe that needs no clustering and ends in law fits (an end-to-end
-- baseline, the loss route), when it can run elsewhere: its key and step.
local first_fits = { e2e = true, loss_intermediate = true }
local function first_fit_of(recipe)
  local s = recipe.steps[1]
  if not (s and first_fits[s.name]) then return nil end
  local key = plain_step(s, s.name)
  if not key then return nil end
  return s.name .. key, s
end

--- The tasks for `cands` on a job: one per distinct clustering (with the distinct fit stages
--- that follow it) and one per distinct first fit stage (e2e, loss_intermediate). Plain data.
---@param cands cod.Recipe[]
---@return table[]
function M.tasks(cands)
  local tasks, by_key = {}, {}
  for _, r in ipairs(cands) do
    local key, fopts, copts, fit_key, fit_opts = clustering_of(r)
    if key then
      local t = by_key[key]
      if not t then
        t = { key = key, features = fopts, cluster = copts, fits = {} }
        by_key[key] = t
        tasks[#tasks + 1] = t
      end
      if fit_key and not t.fits[fit_key] then t.fits[fit_key] = fit_opts end
    else
      local k, step = first_fit_of(r)
      if k and not by_key[k] then
        by_key[k] = { key = k, stage = step.name, opts = step.opts }
        tasks[#tasks + 1] = by_key[k]
      end
    end
  end
  return tasks
end

-- Paths to the law fit results inside `v` ({"clusters", 3, "fit"}, ...); false when one of
-- them cannot be restored after crossing a process boundary.
local function law_paths(v, path, out)
  if type(v) ~= "table" then return out end
  if law.is_result(v) then
    if not law.restorable(v) then return false end
    out[#out + 1] = table.move(path, 1, #path, 1, {})
    return out
  end
  for k, x in pairs(v) do
    if type(x) == "table" then
      path[#path + 1] = k
      local ok = law_paths(x, path, out)
      path[#path] = nil
      if not ok then return false end
    end
  end
  return out
end

--- Run one task of M.tasks on `job` (in a worker): plain data, or false when a stage raised
--- (its recipe then runs as usual and raises where it always did).
---@param job cod.Job
---@param t table
---@return table|false
function M.run_task(job, t)
  local out
  local ok = pcall(function()
    if t.stage then
      local st = {}
      pipeline.stages[t.stage](job, st, t.opts)
      local paths = law_paths(st, {}, {})
      out = paths and { state = st, paths = paths } or false
      return
    end
    local st = {}
    pipeline.stages.features(job, st, t.features)
    pipeline.stages.cluster(job, st, t.cluster)
    out = { labels = st.labels, method = st.cluster_method, facts = st.cluster_facts, mode = st.cluster_mode,
      fits = {} }
    for fit_key, fit_opts in pairs(t.fits) do
      local fst = setmetatable({}, { __index = st })
      if pcall(pipeline.stages.fit, job, fst, fit_opts) then
        local paths = law_paths(fst.clusters, {}, {})
        if paths then out.fits[fit_key] = { clusters = fst.clusters, form = fst.form, paths = paths } end
      end
    end
  end)
  return ok and out or false
end

--- The tasks' results by key (M.tasks's list and the results of M.run_task, in order).
---@return table
function M.collect(tasks, results)
  local done = {}
  for i, t in ipairs(tasks) do
    if results[i] then done[t.key] = results[i] end
  end
  return done
end

--- Run the tasks of `cands` on `job` through `map(list, fn)` and collect them.
---@param cands cod.Recipe[]
---@param job cod.Job
---@param map fun(list: any[], fn: fun(task: any, i: integer): any): any[]
---@return table
function M.run(cands, job, map)
  local tasks = M.tasks(cands)
  if #tasks == 0 then return {} end
  return M.collect(tasks, map(tasks, function(t) return M.run_task(job, t) end))
end

-- A deep copy of plain data with the law results at `paths` restored (each candidate's run
-- changes its own state, so a result shared by several candidates is copied for each).
local function restored(v, paths)
  local function copy(x)
    if type(x) ~= "table" then return x end
    local c = {}
    for k, y in pairs(x) do c[k] = copy(y) end
    return c
  end
  local c = copy(v)
  for _, p in ipairs(paths) do
    local parent = c
    for i = 1, #p - 1 do parent = parent[p[i]] end
    parent[p[#p]] = law.restore(parent[p[#p]])
  end
  return c
end

--- `recipe`, or a copy whose precomputed stages take the results collected by M.run.
---@param recipe cod.Recipe
---@param pre table M.run's (or M.collect's) result
---@return cod.Recipe
function M.recipe(recipe, pre)
  local key, _, _, fit_key = clustering_of(recipe)
  local got = key and pre[key]
  if got then
    local r = recipe:replace("cluster", function(_, st)
      local labels = {}
      for i, l in ipairs(got.labels) do labels[i] = l end
      st.labels = labels
      st.cluster_method = got.method
      st.cluster_facts = got.facts
      st.cluster_mode = got.mode
    end)
    local fits = fit_key and got.fits[fit_key]
    if fits then
      r = r:replace("fit", function(_, st)
        st.clusters = restored(fits.clusters, fits.paths)
        st.form = fits.form
      end)
    end
    return r
  end
  local k, step = first_fit_of(recipe)
  local state = k and pre[k]
  if not state then return recipe end
  return recipe:replace(step.name, function(_, st)
    for name, v in pairs(restored(state.state, state.paths)) do st[name] = v end
  end)
end

return M
