--- cod.extrapolate: the predictable subset's metric at the target compute (SPEC §6).
---
---   ŷ_S = Σ_k n_k·f_k(C_target) / Σ_k n_k   over extrapolatable clusters k
---
--- Every cluster's own prediction is kept, extrapolatable or not. With no
--- extrapolatable cluster the result has ok = false and a reason (a recipe may
--- then fall back to another method); it is not an error.
---
---   local law, filters, ex = require("cod.law"), require("cod.filters"), require("cod.extrapolate")
---   local clusters = law.fit_clusters(P, labels, C)
---   filters.apply("paper", clusters)
---   local pred = ex.predict(clusters, 3.8e6)
---   if pred.ok then print(pred.value, pred.size) else print(pred.reason) end
---
--- See docs/law.md (section Extrapolation).

local law = require("cod.law")
local filters = require("cod.filters")
local check = require("cod.check")
local core = require("cod.core.extrapolate")

local M = {}

---@class cod.extrapolate.ClusterPrediction
---@field label integer|nil
---@field size integer
---@field extrapolatable boolean
---@field prediction number|nil            the cluster's curve at the target (nil when its fit failed)
---@field rejected_by cod.filters.Rejection|nil

---@class cod.extrapolate.Prediction
---@field ok boolean                       false: no extrapolatable cluster
---@field reason string|nil                why there is no prediction
---@field value number|nil                 ŷ_S
---@field size integer                     |S|: items in extrapolatable clusters
---@field total integer                    items in all clusters given
---@field c_target number                  the target compute (compute units)
---@field clusters cod.extrapolate.ClusterPrediction[]

local function check_target(C_target, fname, argn)
  if type(C_target) ~= "number" then check.arg_error(fname, argn, "number", C_target) end
  if not (C_target > 0) or C_target == math.huge then
    error(("target compute must be positive and finite, got %s"):format(tostring(C_target)), 3)
  end
end

---@class cod.extrapolate.PredictOptions
---@field all_items? integer  divide by this many items instead of |S|: the items outside S count as
---                           predicted 0, and a cluster whose fit failed keeps its last observed value
---                           (cod_no_mapping)

--- Size-weighted prediction over the clusters marked extrapolatable (by
--- filters.apply or by hand: cluster.extrapolatable = true). The formula is the
--- engine's (cod::subset_prediction); this function gathers each cluster's own prediction.
---@param clusters {fit: cod.law.Result, size: integer, label?: integer, extrapolatable?: boolean, rejected_by?: cod.filters.Rejection, y?: number[]}[]
---@param C_target number   target compute, in compute units
---@param opts? cod.extrapolate.PredictOptions
---@return cod.extrapolate.Prediction
function M.predict(clusters, C_target, opts)
  if type(clusters) ~= "table" then check.arg_error("predict", 1, "table of clusters", clusters) end
  check_target(C_target, "predict", 2)
  opts = check.options("predict", opts, { all_items = "integer" }, 3)
  local out = { ok = false, size = 0, total = 0, c_target = C_target, clusters = {} }
  local sizes, preds, included = {}, {}, {}
  for i, cl in ipairs(clusters) do
    if type(cl) ~= "table" or not law.is_result(cl.fit) then
      check.arg_fail("predict", 1, ("cluster %d has no fit result"):format(i))
    end
    if math.type(cl.size) ~= "integer" or cl.size < 0 then
      check.arg_fail("predict", 1, ("cluster %d: size must be a non-negative integer"):format(i))
    end
    local pred = cl.fit.ok and cl.fit:eval(C_target) or nil
    local entry = { label = cl.label, size = cl.size, extrapolatable = cl.extrapolatable == true,
      prediction = pred, rejected_by = cl.rejected_by }
    if entry.extrapolatable and not cl.fit.ok then
      error(("cluster %s is marked extrapolatable but its fit failed: %s")
        :format(tostring(cl.label or i), cl.fit.reason), 2)
    end
    local use = entry.extrapolatable
    if opts.all_items and not cl.fit.ok and cl.y then
      -- A cluster whose curve could not be fitted (flat) keeps its last observed value.
      pred = cl.y[#cl.y]
      entry.prediction = pred
      use = true
    end
    out.total = out.total + cl.size
    sizes[i], preds[i], included[i] = cl.size, pred or (0 / 0), use
    out.clusters[i] = entry
  end
  local r = core.subset_prediction(sizes, preds, included, opts.all_items)
  out.ok, out.size, out.value, out.reason = r.ok, r.size, r.value, r.reason
  return out
end

---@class cod.extrapolate.RunOptions: cod.law.FitOptions
---@field form? string|cod.law.Form                default "cod"
---@field rule? string|cod.filters.Rule|function   default "paper"
---@field threads? integer                         default 1

--- Fit every cluster, judge it with a rule, and predict: the §4–§6 stages in
--- one call. Returns the prediction and the clusters (with their verdicts).
---@param P cod.Matrix|number[][]   items x ladder models pass rates
---@param labels integer[]          cluster id per item, -1 = none
---@param C number[]                ladder compute (compute units)
---@param C_target number           target compute (compute units)
---@param opts? cod.extrapolate.RunOptions
---@return cod.extrapolate.Prediction prediction
---@return cod.law.ClusterFit[] clusters
function M.run(P, labels, C, C_target, opts)
  check_target(C_target, "run", 4)
  opts = check.options("run", opts, { form = "string|table", rule = "string|table|function", threads = "integer",
    weights = "any", fixed = "table", lower = "table", upper = "table", starts = "table", local_starts = "integer",
    max_eval = "integer", ftol_rel = "number", xtol_rel = "number" }, 5)
  local fit_opts, rule = {}, "paper"
  for k, v in pairs(opts) do
    if k == "rule" then rule = v else fit_opts[k] = v end
  end
  local r = filters.get(rule)
  local clusters = law.fit_clusters(P, labels, C, fit_opts)
  filters.apply(r, clusters)
  return M.predict(clusters, C_target), clusters
end

return M
