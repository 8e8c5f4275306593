--- cod.mapping: map the predictable subset's metric to the full-set metric (SPEC §7).
---
--- Points are (subset metric, full-set metric) pairs of ladder models and anchors; every
--- mapping also passes through (0,0) and (1,1). Equal x values are merged (mean y).
---
---   local mapping = require("cod.mapping")
---   local m = mapping.fit({ { x = 0.26, y = 0.24 }, { x = 0.41, y = 0.37 },
---                           { x = 0.69, y = 0.61, anchor = true, name = "ext-7b" } })
---   print(m.lambda, m.rmse, m:eval(0.8))
---
--- See docs/mapping.md.

local core = require("cod.core.mapping")

local M = {}

---@class cod.MappingPoint
---@field x number            subset metric, in [0, 1]
---@field y number            full-set metric, in [0, 1]
---@field anchor? boolean     an anchor model (reporting only)
---@field name? string        model name (reporting only)

---@class cod.MergedPoint
---@field x number            the common x
---@field y number            mean y of the merged points
---@field n integer           how many points were merged
---@field anchors integer     how many of them are anchors
---@field anchor boolean      anchors > 0
---@field names string[]      their names, in input order

---@class cod.MappingOptions
---@field method? "spline"|"identity"|"quartic"|"pchip"   default "spline"
---@field threshold? number      T: RMSE the spline must meet (default 0.005)
---@field lambda_min? number     smallest lambda searched (default 1e-16)
---@field lambda_max? number     largest lambda searched (default 1e8)
---@field monotone_grid? integer 0 = exact monotonicity (default); n >= 2 = judge it on n grid points as the SciPy reference does

---@class cod.MappingResult
---@field method string            "spline", "identity", "quartic" or "pchip"
---@field status string            "fitted", "line", "interpolation_missed" or "no_data"
---@field lambda number|nil        spline: lambda used (math.huge for the line); nil for other methods
---@field lambda_rmse number|nil   spline: lambda chosen by the RMSE criterion alone
---@field rmse number|nil          RMSE over the merged points (nil with no data)
---@field threshold number         the T asked for
---@field monotone_forced boolean  spline: monotonicity raised lambda; quartic: its constraints were active
---@field interpolation_missed boolean  spline: even the smallest lambda misses T
---@field monotone boolean         the curve is non-decreasing on [0,1] (false only for pchip through falling data)
---@field min_slope number         smallest slope of the curve on [0,1]
---@field reason string|nil        a sentence on anything notable
---@field points cod.MergedPoint[] the merged points used, sorted by x
local Result = {}
Result.__index = Result

-- The engine object behind each result; weak keys, so results stay plain, collectable tables.
local boxes = setmetatable({}, { __mode = "k" })

local function box_of(self, fname)
  local box = boxes[self]
  if box == nil then
    error(("calling '%s' on bad self (cod.mapping result expected, got %s)"):format(fname, type(self)), 3)
  end
  return box
end

--- The mapped value at x (a number in [0, 1]), or the values at an array of such numbers.
---@param x number|number[]
---@return number|number[]
function Result:eval(x)
  local box = box_of(self, "eval")
  local y = box:eval(x)
  return y
end

--- n equally spaced points of [0, 1] (default 101) and the curve there, for plotting.
---@param n? integer at least 2
---@return number[] xs
---@return number[] ys
function Result:curve(n)
  local box = box_of(self, "curve")
  local xs, ys = box:curve(n)
  return xs, ys
end

function Result:__tostring()
  return tostring(box_of(self, "tostring"))
end

--- The method names: {"spline", "identity", "quartic", "pchip"}.
---@type string[]
M.methods = core.methods()

--- Fit a mapping.
--- `mapping.fit(points, opts)` with points a list of {x =, y =, anchor =?, name =?}, or
--- `mapping.fit(xs, ys, opts)` with two arrays of numbers of equal length.
---@param points cod.MappingPoint[]|number[]
---@param ys_or_opts? number[]|cod.MappingOptions
---@param opts? cod.MappingOptions
---@return cod.MappingResult
function M.fit(points, ys_or_opts, opts)
  local box = core.fit(points, ys_or_opts, opts)
  local result = box:report()
  boxes[result] = box
  return setmetatable(result, Result)
end

--- True when `v` is a result of mapping.fit.
---@param v any
---@return boolean
function M.is_result(v)
  return type(v) == "table" and boxes[v] ~= nil
end

return M
