--- cod.irt: item-response difficulty curves for 0/1 correctness (SPEC §14).
---
--- A joint two-parameter logistic model, P(item i right for model j) = σ(a_i·(θ_j − b_i)),
--- with one ability per model shared by every item, fitted in the engine (penalised maximum
--- likelihood, analytic gradient, L-BFGS). Each item's fitted curve over the ladder is a
--- smooth difficulty feature where its ten 0/1 answers were a step.
---
---   local irt = require("cod.irt")
---   local fit = irt.fit(job.Y)              -- items × ladder models, 0/1
---   print(fit.ability[1], fit.curves:get(1, 1))

local core = require("cod.core.irt")

local M = {}

---@class cod.irt.Fit
---@field curves cod.Matrix      items × models: σ(a_i (θ_j − b_i))
---@field ability number[]       θ_j per model (column)
---@field difficulty number[]    b_i per item
---@field slope number[]         a_i per item
---@field objective number       penalised negative log-likelihood at the optimum
---@field evaluations integer
---@field converged boolean
---@field status string

--- Fit the model to `Y` (items × models, values in [0, 1]).
---@param Y cod.Matrix|number[][]
---@param opts? {weights?: cod.Matrix, slope_sd?: number, difficulty_sd?: number, ability_sd?: number, max_iterations?: integer}
---@return cod.irt.Fit
function M.fit(Y, opts)
  return core.fit(Y, opts)
end

--- Extrapolate a fit to a larger model: abilities are regressed on log-compute (least squares)
--- and each item's curve is read at the target's ability; `metric` is their mean (the full-set
--- accuracy the item-response model predicts).
---@param fit cod.irt.Fit
---@param compute number[]   one per model of the fit (compute units)
---@param target number      the target's compute
---@return {ability: number, intercept: number, slope: number, metric: number, items: number[]}
function M.extrapolate(fit, compute, target)
  return core.extrapolate(fit, compute, target)
end

return M
