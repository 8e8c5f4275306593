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
  if type(C_target) ~= "number" then
    error(("bad argument #%d to '%s' (number expected, got %s)"):format(argn, fname, type(C_target)), 3)
  end
  if not (C_target > 0) or C_target == math.huge then
    error(("target compute must be positive and finite, got %s"):format(tostring(C_target)), 3)
  end
end

--- Size-weighted prediction over the clusters marked extrapolatable (by
--- filters.apply or by hand: cluster.extrapolatable = true).
---@param clusters {fit: cod.law.Result, size: integer, label?: integer, extrapolatable?: boolean, rejected_by?: cod.filters.Rejection}[]
---@param C_target number   target compute, in compute units
---@return cod.extrapolate.Prediction
function M.predict(clusters, C_target)
  if type(clusters) ~= "table" then
    error(("bad argument #1 to 'predict' (table of clusters expected, got %s)"):format(type(clusters)), 2)
  end
  check_target(C_target, "predict", 2)
  local out = { ok = false, size = 0, total = 0, c_target = C_target, clusters = {} }
  local num = 0.0
  for i, cl in ipairs(clusters) do
    if type(cl) ~= "table" or not law.is_result(cl.fit) then
      error(("bad argument #1 to 'predict' (cluster %d has no fit result)"):format(i), 2)
    end
    if type(cl.size) ~= "number" or cl.size < 0 or math.type(cl.size) ~= "integer" then
      error(("bad argument #1 to 'predict' (cluster %d: size must be a non-negative integer)"):format(i), 2)
    end
    local pred = cl.fit.ok and cl.fit:eval(C_target) or nil
    local entry = { label = cl.label, size = cl.size, extrapolatable = cl.extrapolatable == true,
      prediction = pred, rejected_by = cl.rejected_by }
    out.total = out.total + cl.size
    if entry.extrapolatable then
      if not cl.fit.ok then
        error(("cluster %s is marked extrapolatable but its fit failed: %s")
          :format(tostring(cl.label or i), cl.fit.reason), 2)
      end
      num = num + cl.size * pred
      out.size = out.size + cl.size
    end
    out.clusters[i] = entry
  end
  if out.size == 0 then
    out.reason = #clusters == 0 and "no clusters to extrapolate" or "no extrapolatable cluster"
    return out
  end
  out.ok = true
  out.value = num / out.size
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
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #5 to 'run' (option table expected, got %s)"):format(type(opts)), 2)
  end
  local valid = { "form", "rule", "threads", "weights", "fixed", "lower", "upper", "starts", "local_starts",
    "max_eval", "ftol_rel", "xtol_rel" }
  local is_valid = {}
  for _, k in ipairs(valid) do is_valid[k] = true end
  local fit_opts, rule = {}, "paper"
  for k, v in pairs(opts or {}) do
    if not is_valid[k] then
      error(("bad option '%s' to 'run' (valid options: %s)"):format(tostring(k), table.concat(valid, ", ")), 2)
    end
    if k == "rule" then rule = v else fit_opts[k] = v end
  end
  local ok, r = pcall(filters.get, rule)
  if not ok then error(r, 2) end
  local clusters = law.fit_clusters(P, labels, C, fit_opts)
  filters.apply(r, clusters)
  return M.predict(clusters, C_target), clusters
end

return M
