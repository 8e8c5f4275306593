--- cod.precluster: the full-set clusterings of a set's candidate recipes as worker tasks.
---
--- A candidate's run on the full set stays in the calling process (its result holds live fits
--- and mappings the report evaluates, which cannot leave a worker), but its clustering — most
--- of its time — is plain data. The clusterings of every set go out with the other tasks of
--- the same batch (cod.parallel.gather), and each candidate then runs with its cluster stage
--- replaced by the worker's result: the same labels, bit for bit, as running it here.
---
---   local pre = precluster.run(cands, job, map)     -- map: cod.parallel.map or a gather's map
---   local r = precluster.recipe(cand, pre)          -- cand, or a copy that reuses the labels

local pipeline = require("cod.pipeline")

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

-- The clustering a recipe starts with, when it can run elsewhere: its first two steps are
-- the registered features and cluster stages (no replacement, no transfer labels) with
-- plain options. Returns the key of that clustering and the two steps' options.
local function clustering_of(recipe)
  local f, c = recipe.steps[1], recipe.steps[2]
  if not (f and c and f.name == "features" and c.name == "cluster" and f.fn == nil and c.fn == nil) then return nil end
  if c.opts.labels ~= nil then return nil end
  local key = canon({ f.opts, c.opts })
  if not key then return nil end
  return key, f.opts, c.opts
end

--- Run the distinct clusterings of `cands` on `job` through `map(list, fn)`; returns
--- {[key] = {labels, method, facts}} (a clustering that raised is left out: its recipe then
--- runs as usual and raises where it always did).
---@param cands cod.Recipe[]
---@param job cod.Job
---@param map fun(list: any[], fn: fun(task: any, i: integer): any): any[]
---@return table
function M.run(cands, job, map)
  local tasks, seen = {}, {}
  for _, r in ipairs(cands) do
    local key, fopts, copts = clustering_of(r)
    if key and not seen[key] then
      seen[key] = true
      tasks[#tasks + 1] = { key = key, features = fopts, cluster = copts }
    end
  end
  if #tasks == 0 then return {} end
  local out = map(tasks, function(t)
    local st = {}
    local ok = pcall(function()
      pipeline.stages.features(job, st, t.features)
      pipeline.stages.cluster(job, st, t.cluster)
    end)
    if not ok then return false end
    return { labels = st.labels, method = st.cluster_method, facts = st.cluster_facts, mode = st.cluster_mode }
  end)
  local done = {}
  for i, t in ipairs(tasks) do
    if out[i] then done[t.key] = out[i] end
  end
  return done
end

--- `recipe`, or a copy whose cluster stage takes the labels computed by M.run.
---@param recipe cod.Recipe
---@param pre table M.run's result
---@return cod.Recipe
function M.recipe(recipe, pre)
  local key = clustering_of(recipe)
  local got = key and pre[key]
  if not got then return recipe end
  return recipe:replace("cluster", function(_, st)
    local labels = {}
    for i, l in ipairs(got.labels) do labels[i] = l end
    st.labels = labels
    st.cluster_method = got.method
    st.cluster_facts = got.facts
    st.cluster_mode = got.mode
  end)
end

return M
