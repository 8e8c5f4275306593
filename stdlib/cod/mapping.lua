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
local check = require("cod.check")

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
  end -- (a method call on the wrong object: Lua's own wording for it)
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

-- ------------------------------------------------------------------ registry

local registry = require("cod.registry").new("mapping method", M.methods)

--- Register a mapping method under a name, so that a recipe's map stage finds it
--- (`{ "map", { method = "name", options = {...} } }`) and mapping.fit{method = "name"} too.
--- `fn(x, y, opts)` receives the points as two arrays (x[i]: subset metric, y[i]: full-set
--- metric of ladder model or anchor i, in no particular order) and the stage's `options`
--- table (never nil); it returns a table whose field `f` maps a subset metric to a
--- full-set metric (`f(0.4) -> 0.37`). Other number, string or boolean fields are shown
--- in the report.
---
---   mapping.register("through_origin", function(x, y)
---     local sxy, sxx = 0, 0
---     for i = 1, #x do sxy, sxx = sxy + x[i] * y[i], sxx + x[i] * x[i] end
---     local slope = sxx > 0 and sxy / sxx or 1
---     return { slope = slope, f = function(v) return math.min(1, slope * v) end }
---   end)
---@param name string  not a built-in method's name
---@param fn fun(x: number[], y: number[], opts: table): {f: fun(x: number): number}
---@param opts? {replace?: boolean}
M.register = registry.register

--- Every method name: the built-in ones, then the registered ones (sorted).
---@return string[]
M.names = registry.names

-- A registered method's result: its fields, and eval through its f (checked: a number out).
local UserResult = {}
UserResult.__index = UserResult

function UserResult:eval(x)
  if type(x) == "table" then
    local out = {}
    for i, v in ipairs(x) do out[i] = self:eval(v) end
    return out
  end
  local y = self.f(x)
  if type(y) ~= "number" then
    error(("mapping method '%s': f must return a number, got %s (x = %s)"):format(self.method, type(y),
      tostring(x)), 0)
  end
  return y
end

function UserResult:curve(n)
  n = n or 101
  local xs = {}
  for i = 1, n do xs[i] = (i - 1) / (n - 1) end
  return xs, self:eval(xs)
end

local function fit_registered(name, fn, points, ys_or_opts, opts)
  local xs, ys = {}, {}
  if type(ys_or_opts) == "table" and type(ys_or_opts[1]) == "number" or (type(points[1]) == "number") then
    xs, ys = points, ys_or_opts
  else
    opts = ys_or_opts
    for i, p in ipairs(points) do xs[i], ys[i] = p.x, p.y end
  end
  opts = check.options("fit", opts, { method = "string", options = "table", threshold = "number" }, 3)
  local res = fn(xs, ys, opts.options or {})
  if type(res) ~= "table" or type(res.f) ~= "function" then
    error(("mapping method '%s' must return a table with a function f, got %s"):format(name,
      type(res) == "table" and "a table without f" or type(res)), 0)
  end
  local out = { method = name, status = "fitted", monotone_forced = false, interpolation_missed = false }
  for k, v in pairs(res) do
    if k ~= "method" then out[k] = v end
  end
  out.f = res.f
  return setmetatable(out, UserResult)
end

--- Fit a mapping.
--- `mapping.fit(points, opts)` with points a list of {x =, y =, anchor =?, name =?}, or
--- `mapping.fit(xs, ys, opts)` with two arrays of numbers of equal length.
--- `opts.method` may name a method registered with mapping.register (its options in
--- `opts.options`); an unknown name is a user error with a suggestion.
---@param points cod.MappingPoint[]|number[]
---@param ys_or_opts? number[]|cod.MappingOptions
---@param opts? cod.MappingOptions
---@return cod.MappingResult
function M.fit(points, ys_or_opts, opts)
  local o = (type(ys_or_opts) == "table" and type(ys_or_opts[1]) ~= "number" and opts == nil) and ys_or_opts or opts
  local method = type(o) == "table" and o.method or nil
  if type(method) == "string" and not registry.builtin(method) then
    local fn = registry.lookup(method, "bad option 'method' to 'fit' (unknown method '%s'%s; methods: %s)")
    check.arg("fit", 1, points, "table")
    local r = fit_registered(method, fn, points, ys_or_opts, opts)
    return r
  end
  if type(o) == "table" and o.options ~= nil then
    check.option_fail("fit", "options", ("only for a registered method; '%s' takes its options directly")
      :format(tostring(method or "spline")))
  end
  local box = core.fit(points, ys_or_opts, opts)
  local result = box:report()
  boxes[result] = box
  return setmetatable(result, Result)
end

--- True when `v` is a result of mapping.fit.
---@param v any
---@return boolean
function M.is_result(v)
  return type(v) == "table" and (boxes[v] ~= nil or getmetatable(v) == UserResult)
end

return M
