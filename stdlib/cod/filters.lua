--- cod.filters: which fitted clusters are extrapolatable (SPEC §5).
---
--- A rule is a predicate over a fitted cluster that returns `ok, reason`. The
--- registry holds the paper's rule ("paper": a > 1 and b > 0.1 and 0 <= c < 1)
--- and its Table A1 ablations; rules compose with all / any / negate, and a
--- recipe or a module file adds its own with filters.register.
---
---   local filters = require("cod.filters")
---   filters.register("steep", function(cl)
---     if cl.params.b > 0.3 then return true end
---     return false, "b<=0.3"
---   end, "b > 0.3")
---   local rule = filters.all({ "paper", "steep" })
---   filters.apply(rule, clusters)   -- sets cl.extrapolatable, cl.rejected_by
---
--- See docs/filters.md.

local check = require("cod.check")
local errors = require("cod.errors")
local M = {}

---@class cod.filters.View
---@field params table<string, number>  fitted public parameters; c = 0 when the form has no c
---@field size integer                  number of items in the cluster
---@field sse number                    the fit's SSE
---@field r2 number                     the fit's R²
---@field n integer                     number of fitted points
---@field y number[]                    observed y values (mean pass rate per ladder model)
---@field x number[]|nil                ladder compute of those values (set by the pipeline's filter stage)
---@field form string                   the form's name
---@field converged boolean             the fit converged
---@field label integer|nil             the cluster's label
---@field fit cod.law.Result            the fit result itself
---@field cluster table                 the cluster table given

---@class cod.filters.Rule
---@field name string
---@field description string
---@field fn fun(view: cod.filters.View): boolean, string|nil
local Rule = {}
Rule.__index = Rule

---@return string
function Rule:__tostring()
  return ("filter rule '%s': %s"):format(self.name, self.description)
end

---@class cod.filters.Rejection
---@field rule string    name of the rule that rejected the cluster
---@field clause string  which clause failed, e.g. "c>=1"

local registry = {}  -- name -> Rule

local function new_rule(name, fn, description)
  return setmetatable({ name = name, fn = fn, description = description or "" }, Rule)
end

--- True when `x` is a rule object.
---@param x any
---@return boolean
function M.is_rule(x)
  return getmetatable(x) == Rule
end

--- A rule from a registered name, a rule object, or a bare predicate function.
---@param rule string|cod.filters.Rule|fun(view: cod.filters.View): boolean, string|nil
---@return cod.filters.Rule
function M.get(rule)
  if getmetatable(rule) == Rule then return rule end
  if type(rule) == "string" then
    local r = registry[rule]
    if r == nil then
      local names = M.names()
      errors.user(("unknown filter rule '%s'%s (registered: %s)"):format(rule, errors.did_you_mean(rule, names),
        table.concat(names, ", ")))
    end
    return r
  end
  if type(rule) == "function" then return new_rule("<function>", rule, "an unnamed predicate") end
  error(("filter rule expected (a name, a rule or a function), got %s"):format(type(rule)), 2)
end

local function resolve(rule, level)
  local ok, r = pcall(M.get, rule)
  if not ok then error(r, level + 1) end
  return r
end

--- Add a rule to the registry. `fn(view)` returns true, or false and the
--- failed clause. A name can be registered once unless `opts.replace`.
---@param name string
---@param fn fun(view: cod.filters.View): boolean, string|nil
---@param description string
---@param opts? {replace?: boolean}
---@return cod.filters.Rule
function M.register(name, fn, description, opts)
  if type(name) ~= "string" or name == "" then check.arg_error("register", 1, "non-empty string", name) end
  if type(fn) ~= "function" and getmetatable(fn) ~= Rule then check.arg_error("register", 2, "function", fn) end
  check.arg("register", 3, description, "string")
  opts = check.options("register", opts, { replace = "boolean" }, 4)
  if registry[name] and not opts.replace then
    error(("filter rule '%s' is already registered (pass {replace = true} to replace it)"):format(name), 2)
  end
  local r = getmetatable(fn) == Rule and new_rule(name, fn.fn, description) or new_rule(name, fn, description)
  registry[name] = r
  return r
end

--- Registered rule names, sorted.
---@return string[]
function M.names()
  local out = {}
  for name in pairs(registry) do out[#out + 1] = name end
  table.sort(out)
  return out
end

--- Registered rules as {name, description}, sorted by name.
---@return {name: string, description: string}[]
function M.list()
  local out = {}
  for _, name in ipairs(M.names()) do
    out[#out + 1] = { name = name, description = registry[name].description }
  end
  return out
end

local function fmtnum(x) return ("%.10g"):format(x) end

---@class cod.filters.Thresholds
---@field a_min? number   require a > a_min (nil: no condition on a)
---@field b_min? number   require b > b_min
---@field c_min? number   require c >= c_min
---@field c_max? number   require c < c_max
---@field name? string
---@field description? string

--- The paper's kind of rule: a > a_min and b > b_min and c_min <= c < c_max
--- (each part optional). Clauses are checked in the order a, b, c; the first
--- that fails is the reason: "a<=1", "b<=0.1", "c<0" or "c>=1".
---@param t cod.filters.Thresholds
---@return cod.filters.Rule
function M.thresholds(t)
  check.arg("thresholds", 1, t, "table")
  check.options("thresholds", t, { a_min = "number", b_min = "number", c_min = "number", c_max = "number",
    name = "string", description = "string" })
  local a_min, b_min, c_min, c_max = t.a_min, t.b_min, t.c_min, t.c_max
  local parts = {}
  if a_min then parts[#parts + 1] = "a > " .. fmtnum(a_min) end
  if b_min then parts[#parts + 1] = "b > " .. fmtnum(b_min) end
  if c_min and c_max then
    parts[#parts + 1] = fmtnum(c_min) .. " <= c < " .. fmtnum(c_max)
  elseif c_min then
    parts[#parts + 1] = "c >= " .. fmtnum(c_min)
  elseif c_max then
    parts[#parts + 1] = "c < " .. fmtnum(c_max)
  end
  local text = #parts > 0 and table.concat(parts, " and ") or "no threshold"
  local function fn(v)
    local p = v.params
    if a_min then
      if p.a == nil then return false, ("form '%s' has no parameter 'a'"):format(v.form) end
      if not (p.a > a_min) then return false, "a<=" .. fmtnum(a_min) end
    end
    if b_min then
      if p.b == nil then return false, ("form '%s' has no parameter 'b'"):format(v.form) end
      if not (p.b > b_min) then return false, "b<=" .. fmtnum(b_min) end
    end
    if c_min and not (p.c >= c_min) then return false, "c<" .. fmtnum(c_min) end
    if c_max and not (p.c < c_max) then return false, "c>=" .. fmtnum(c_max) end
    return true
  end
  return new_rule(t.name or ("thresholds(" .. text .. ")"), fn, t.description or text)
end

-- The view of a cluster, or nil and what is wrong with the argument.
local function make_view(cluster)
  if type(cluster) ~= "table" then return nil, ("cluster table expected, got %s"):format(type(cluster)) end
  local fit = cluster.fit or cluster
  if type(fit) ~= "table" or type(fit.ok) ~= "boolean" then
    return nil, "a cluster with a fit result expected"
  end
  local params = {}
  for k, v in pairs(fit.params or {}) do params[k] = v end
  -- SPEC §4: forms without c count as c = 0.
  if params.c == nil then params.c = 0 end
  return {
    params = params,
    size = cluster.size or 0,
    sse = fit.sse,
    r2 = fit.r2,
    n = fit.n,
    y = cluster.y or {},
    x = cluster.x,
    form = fit.form,
    converged = fit.converged,
    label = cluster.label,
    fit = fit,
    cluster = cluster,
  }
end

--- The view of a cluster a predicate sees. `cluster` is {fit = result, size = n,
--- y = {...}, label = k} (as law.fit_clusters returns), or a bare fit result.
---@param cluster table|cod.law.Result
---@return cod.filters.View
function M.view(cluster)
  local v, why = make_view(cluster)
  if not v then check.arg_fail("view", 1, why) end
  return v
end

--- Judge one cluster. A cluster whose fit failed is rejected before the rule
--- runs (clause "no fit: <reason>").
---@param rule string|cod.filters.Rule|function
---@param cluster table|cod.law.Result
---@return boolean ok
---@return cod.filters.Rejection|nil rejected_by
function M.check(rule, cluster)
  local r = resolve(rule, 2)
  local v, why = make_view(cluster)
  if not v then check.arg_fail("check", 2, why) end
  if not v.fit.ok then
    return false, { rule = r.name, clause = "no fit: " .. tostring(v.fit.reason) }
  end
  local ok, reason = r.fn(v)
  if ok then return true, nil end
  return false, { rule = r.name, clause = reason ~= nil and tostring(reason) or "rejected" }
end

--- Judge every cluster: sets cluster.extrapolatable and cluster.rejected_by
--- (nil when it passes). Returns how many passed.
---@param rule string|cod.filters.Rule|function
---@param clusters table[]
---@return integer passed
function M.apply(rule, clusters)
  local r = resolve(rule, 2)
  if type(clusters) ~= "table" then check.arg_error("apply", 2, "table of clusters", clusters) end
  local passed = 0
  for i, cl in ipairs(clusters) do
    if not make_view(cl) then check.arg_fail("apply", 2, ("cluster %d has no fit result"):format(i)) end
    local ok, why = M.check(r, cl)
    cl.extrapolatable = ok
    cl.rejected_by = why
    if ok then passed = passed + 1 end
  end
  return passed
end

local function names_of(rules)
  local out = {}
  for i, r in ipairs(rules) do out[i] = r.name end
  return table.concat(out, ",")
end

local function resolve_list(rules, fname)
  if type(rules) ~= "table" or getmetatable(rules) == Rule or #rules == 0 then
    error(("bad argument #1 to '%s' (non-empty list of rules expected)"):format(fname), 3)
  end
  local out = {}
  for i, x in ipairs(rules) do out[i] = resolve(x, 3) end
  return out
end

--- A rule that passes when every rule passes; the reason names the first
--- that failed: "<rule>: <clause>".
---@param rules (string|cod.filters.Rule|function)[]
---@param name? string
---@return cod.filters.Rule
function M.all(rules, name)
  local rs = resolve_list(rules, "all")
  local function fn(v)
    for _, r in ipairs(rs) do
      local ok, reason = r.fn(v)
      if not ok then return false, r.name .. ": " .. (reason ~= nil and tostring(reason) or "rejected") end
    end
    return true
  end
  local desc = {}
  for i, r in ipairs(rs) do desc[i] = "(" .. r.description .. ")" end
  return new_rule(name or ("all(" .. names_of(rs) .. ")"), fn, table.concat(desc, " and "))
end

--- A rule that passes when any rule passes; the reason lists every failure.
---@param rules (string|cod.filters.Rule|function)[]
---@param name? string
---@return cod.filters.Rule
function M.any(rules, name)
  local rs = resolve_list(rules, "any")
  local function fn(v)
    local why = {}
    for _, r in ipairs(rs) do
      local ok, reason = r.fn(v)
      if ok then return true end
      why[#why + 1] = r.name .. ": " .. (reason ~= nil and tostring(reason) or "rejected")
    end
    return false, table.concat(why, "; ")
  end
  local desc = {}
  for i, r in ipairs(rs) do desc[i] = "(" .. r.description .. ")" end
  return new_rule(name or ("any(" .. names_of(rs) .. ")"), fn, table.concat(desc, " or "))
end

--- A rule that passes exactly when `rule` fails (reason "<rule> passed").
---@param rule string|cod.filters.Rule|function
---@param name? string
---@return cod.filters.Rule
function M.negate(rule, name)
  local r = resolve(rule, 2)
  local function fn(v)
    if r.fn(v) then return false, r.name .. " passed" end
    return true
  end
  return new_rule(name or ("not(" .. r.name .. ")"), fn, "not (" .. r.description .. ")")
end

--- A rule on the cluster size: at least n items (reason "size<n").
---@param n integer
---@return cod.filters.Rule
function M.min_size(n)
  check.arg("min_size", 1, n, "number")
  return new_rule(("min_size(%s)"):format(fmtnum(n)), function(v)
    if v.size >= n then return true end
    return false, "size<" .. fmtnum(n)
  end, ("size >= %s"):format(fmtnum(n)))
end

--- A rule on the goodness of fit: R² at least r (reason "r2<r").
---@param r number
---@return cod.filters.Rule
function M.min_r2(r)
  check.arg("min_r2", 1, r, "number")
  return new_rule(("min_r2(%s)"):format(fmtnum(r)), function(v)
    if v.r2 >= r then return true end
    return false, "r2<" .. fmtnum(r)
  end, ("R2 >= %s"):format(fmtnum(r)))
end

-- The paper's rule (§4.3) and its Table A1 ablations, each changing one clause.
M.register("paper", M.thresholds({ a_min = 1, b_min = 0.1, c_min = 0, c_max = 1 }),
  "a > 1 and b > 0.1 and 0 <= c < 1 (the paper's rule, §4.3)")
M.register("ablation_a", M.thresholds({ a_min = 0.5, b_min = 0.1, c_min = 0, c_max = 1 }),
  "a > 0.5 and b > 0.1 and 0 <= c < 1 (Table A1: looser a)")
M.register("ablation_b", M.thresholds({ a_min = 1, b_min = 0.05, c_min = 0, c_max = 1 }),
  "a > 1 and b > 0.05 and 0 <= c < 1 (Table A1: looser b)")
M.register("ablation_c", M.thresholds({ a_min = 1, b_min = 0.1, c_min = 0, c_max = 0.5 }),
  "a > 1 and b > 0.1 and 0 <= c < 0.5 (Table A1: stricter c)")
M.register("none", function() return true end,
  "no threshold: every cluster with a fit (Table A1)")

--- Share of the curve's rise above its floor g (reached at the top ladder point) that a
--- ladder point must show to count as "off the floor" in the degenerate-fit test.
M.rise_share = 0.05
--- Ladder points off the floor a fit needs for its rise to be supported by the data.
M.min_rising_points = 3

--- The degenerate-fit test (SPEC §13): a fit whose curve sits on its floor g at all but one
--- or two ladder points and then jumps (a step through a noisy flat cluster) has a rise the
--- data does not support. Counts the ladder points where f(C_j) − g is at least
--- `rise_share` of f(C_top) − g; fewer than `min_rising_points` is degenerate. Needs the
--- view's x (ladder compute); without it the test passes.
---@param v cod.filters.View
---@return boolean ok
---@return string|nil clause
function M.rise_supported(v)
  local x = v.x
  if type(x) ~= "table" or #x < M.min_rising_points then return true end
  local floor = v.params.g or 0
  local top = v.fit:eval(x[#x]) - floor
  if not (top > 0) then return true end  -- no rise at all: other clauses judge a flat curve
  local rising = 0
  for _, C in ipairs(x) do
    if v.fit:eval(C) - floor >= M.rise_share * top then rising = rising + 1 end
  end
  if rising >= M.min_rising_points then return true end
  return false, ("degenerate: the curve leaves its floor at %d of %d ladder points"):format(rising, #x)
end

-- The default COD rule: the paper's thresholds, then the degenerate-fit test.
local paper_fn = registry.paper.fn
M.register("cod", function(v)
  local ok, why = paper_fn(v)
  if not ok then return false, why end
  return M.rise_supported(v)
end, ("the paper's rule, and the fitted rise leaves the floor g at >= %d ladder points (not a step; SPEC §13)")
  :format(M.min_rising_points))

return M
