--- cod.law: scaling-law fits of accuracy (or loss) against compute (SPEC §4, §9).
---
--- Built-in forms: "cod" (the paper's g + (1-g)·exp(-a·C^-b - c)), "f1", "f2", "f3"
--- (its ablations), "bnsl" / "bnsl2" ... (broken neural scaling law on the error
--- 1 - y, fitted in log space), "loss_power" (L = E + A·C^-alpha) and "loss_sigmoid"
--- (y = g + (1-g)/(1 + exp(k·(L - L0))), abscissa = loss). A form written in Lua
--- (law.form) fits the same way, with numerical gradients unless it gives its own.
---
---   local law = require("cod.law")
---   local r = law.fit("cod", { 40, 130, 420, 1361, 4409, 14287, 46293, 150000 },
---                     { .34, .42, .50, .59, .67, .73, .78, .82 })
---   print(r.params.a, r.params.b, r.sse, r:eval(3.8e6))
---
--- Compute is in units of compute_unit (default 1e18 FLOPs): pass it already scaled.
--- See docs/law.md.

local check = require("cod.check")
local core = require("cod.core.law")

local M = {}

-- Call core[fname] so that an error points at the caller of the public
-- function (level 3 from here) and names the function as the user called it.
local function call_core(fname, ...)
  local res = table.pack(pcall(core[fname], ...))
  if not res[1] then
    local msg = res[2]
    if type(msg) == "string" then
      msg = msg:gsub("^bad argument (#%d+) to 'cod%.core%.law%.", "bad argument %1 to '")
    end
    error(msg, 3)
  end
  return table.unpack(res, 2, res.n)
end

---@class cod.law.FitOptions
---@field weights? number[]                 w_j >= 0 per point (default all 1)
---@field fixed? table<string, number>      fit parameters held at a value, e.g. { g = 0.25 }
---@field lower? table<string, number>      lower bounds replacing the form's, by fit-parameter name
---@field upper? table<string, number>      upper bounds replacing the form's, by fit-parameter name
---@field starts? number[][]                extra start points (full fit-parameter vectors)
---@field local_starts? integer             best grid points that start a local run (default 6)
---@field max_eval? integer                 objective evaluations per local run (default 3000)
---@field ftol_rel? number                  relative tolerance on the SSE (default 1e-12)
---@field xtol_rel? number                  relative tolerance on the parameters (default 1e-12)

---@class cod.law.Result
---@field form string                  the form's name
---@field ok boolean                   false: no fit was made, `reason` says why
---@field reason string|nil            why there is no fit (too few points, constant y)
---@field params table<string, number> public parameters by name (nil when not ok)
---@field param_names string[]         public parameter names, in order
---@field fit_params number[]          the optimiser's parameters (cod family: u, b, c, g)
---@field fit_param_names string[]     their names
---@field fixed table<string, boolean> fit parameters that were held fixed
---@field c_ref number                 geometric mean of the compute (1 for forms that do not scale it)
---@field sse number                   weighted sum of squared residuals (bnsl: on log(1 - y))
---@field r2 number                    1 - SSE/SST in the same space
---@field n integer                    number of points
---@field free integer                 number of free parameters
---@field converged boolean            the winning local run stopped on a tolerance
---@field status string                NLopt's result for it ("ftol_reached", "xtol_reached", "maxeval_reached", ...; "not_run")
---@field evaluations integer          objective evaluations over all local runs
---@field local_runs integer           local runs made
local Result = {}
Result.__index = Result

---@class cod.law.Form
---@field name string
---@field params string[]
---@field lower number[]
---@field upper number[]
---@field starts number[][]
---@field f fun(C: number, p: table<string, number>): number
---@field grad? fun(C: number, p: table<string, number>): table<string, number>
local Form = {}
Form.__index = Form

-- The Lua form behind a result, when it has one (weak keys: results stay plain tables).
local lua_forms = setmetatable({}, { __mode = "k" })

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function check_compute(C, level)
  if type(C) ~= "number" or C ~= C or C <= 0 or C == math.huge then
    error(("C must be positive and finite, got %s"):format(tostring(C)), level + 1)
  end
end

local function eval_lua(form, params, C)
  local v = form.f(C, copy(params))
  if type(v) ~= "number" then
    error(("form '%s': f must return a number, got %s (C = %s)"):format(form.name, type(v), tostring(C)), 3)
  end
  return v
end

--- The fitted curve at compute C (a number), or at each compute of an array.
---@param C number|number[]
---@return number|number[]
function Result:eval(C)
  if getmetatable(self) ~= Result then
    error(("calling 'eval' on bad self (cod.law result expected, got %s)"):format(type(self)), 2)
  end
  if not self.ok then
    error(("cannot evaluate a failed fit of form '%s': %s"):format(self.form, self.reason), 2)
  end
  local lf = lua_forms[self]
  if lf then
    if type(C) == "table" then
      local out = {}
      for i, c in ipairs(C) do
        check_compute(c, 2)
        out[i] = eval_lua(lf, self.params, c)
      end
      return out
    end
    check_compute(C, 2)
    return eval_lua(lf, self.params, C)
  end
  return call_core("eval", self.form, self.fit_params, self.c_ref, C)
end

---@return string
function Result:__tostring()
  if not self.ok then return ("cod.law result (%s): no fit: %s"):format(self.form, self.reason) end
  local parts = {}
  for _, name in ipairs(self.param_names) do
    parts[#parts + 1] = ("%s=%.6g"):format(name, self.params[name])
  end
  return ("cod.law result (%s): %s  sse=%.4g r2=%.4f n=%d %s"):format(self.form, table.concat(parts, " "),
    self.sse, self.r2, self.n, self.converged and "converged" or ("not converged: " .. self.status))
end

local function wrap(r, lua_form)
  setmetatable(r, Result)
  if lua_form then lua_forms[r] = lua_form end
  return r
end

--- True when `x` is a fit result of this module.
---@param x any
---@return boolean
function M.is_result(x)
  return getmetatable(x) == Result
end

--- Names of the built-in forms ("bnsl" stands for bnsl, bnsl2, bnsl3, bnsl4).
---@return string[]
function M.forms()
  return core.forms()
end

--- What a built-in form is: its parameters, fit parameters, default bounds,
--- residual space ("linear" or "log_error"), accepted y and abscissa name.
---@param name string
---@return {name: string, params: string[], fit_params: string[], lower: number[], upper: number[], space: string, domain: string, x_name: string, scale_compute: boolean}
function M.info(name)
  check.arg("info", 1, name, "string")
  return call_core("form_info", name)
end

local builtin = {}
for _, n in ipairs(core.forms()) do builtin[n] = true end
for k = 1, 4 do builtin["bnsl" .. k] = true end

--- True when `r` is a fit result of a built-in form (plain data but its type: M.restore
--- gives the type back after a process boundary).
---@param r any
---@return boolean
function M.restorable(r)
  return getmetatable(r) == Result and lua_forms[r] == nil and type(r.form) == "string" and builtin[r.form] == true
end

--- A fit result of a built-in form that lost its type crossing a process boundary
--- (cod.parallel returns plain tables): the same table, a fit result again. A Lua form's
--- result keeps its form outside the table and cannot be restored: an error.
---@param t table
---@return cod.law.Result
function M.restore(t)
  check.arg("restore", 1, t, "table")
  if getmetatable(t) == Result then return t end
  if getmetatable(t) ~= nil or type(t.form) ~= "string" or not builtin[t.form] then
    check.arg_fail("restore", 1, ("a fit result of a built-in form expected (form %s)"):format(tostring(t.form)))
  end
  return wrap(t)
end

-- Values of a spec field given either as an array in params order or by name.
local function per_param(spec, key, params, default)
  local v = spec[key]
  local out = {}
  if v == nil then
    for i = 1, #params do out[i] = default end
    return out
  end
  if type(v) ~= "table" then
    error(("law.form: %s must be a table, got %s"):format(key, type(v)), 3)
  end
  local index = {}
  for i, p in ipairs(params) do index[p] = i end
  if v[1] ~= nil then
    if #v ~= #params then
      error(("law.form: %s has %d values for %d parameters"):format(key, #v, #params), 3)
    end
    for i = 1, #params do out[i] = v[i] end
  else
    for i = 1, #params do out[i] = default end
    for k, x in pairs(v) do
      if index[k] == nil then
        error(("law.form: %s names unknown parameter '%s'"):format(key, tostring(k)), 3)
      end
      out[index[k]] = x
    end
    if default == nil then
      for i, p in ipairs(params) do
        if out[i] == nil then error(("law.form: %s has no value for '%s'"):format(key, p), 3) end
      end
    end
  end
  for i, x in ipairs(out) do
    if type(x) ~= "number" or x ~= x then
      error(("law.form: %s for '%s' must be a number, got %s"):format(key, params[i], tostring(x)), 3)
    end
  end
  return out
end

--- A form written in Lua: `f(C, p)` returns the curve at compute C for parameters
--- `p` (a table by name). Bounds default to unbounded; give `start` (one start
--- point) or `starts` (a list); `grad(C, p)` (a table of partial derivatives by
--- name) is optional, central differences otherwise. Compute is passed as given
--- (no C_ref scaling); y may be any finite number.
---@param spec {name: string, params: string[], lower?: number[]|table<string, number>, upper?: number[]|table<string, number>, start?: number[]|table<string, number>, starts?: (number[]|table<string, number>)[], f: fun(C: number, p: table<string, number>): number, grad?: fun(C: number, p: table<string, number>): table<string, number>}
---@return cod.law.Form
function M.form(spec)
  check.arg("form", 1, spec, "table")
  if getmetatable(spec) == Form then return spec end
  if type(spec.name) ~= "string" or spec.name == "" then
    error("law.form: name must be a non-empty string", 2)
  end
  if builtin[spec.name] then
    error(("law.form: '%s' is the name of a built-in form"):format(spec.name), 2)
  end
  if type(spec.params) ~= "table" or #spec.params == 0 then
    error("law.form: params must be a non-empty list of names", 2)
  end
  local params, seen = {}, {}
  for i, p in ipairs(spec.params) do
    if type(p) ~= "string" or p == "" then error(("law.form: params[%d] must be a name"):format(i), 2) end
    if seen[p] then error(("law.form: parameter '%s' is listed twice"):format(p), 2) end
    seen[p] = true
    params[i] = p
  end
  if type(spec.f) ~= "function" then error("law.form: f must be a function", 2) end
  if spec.grad ~= nil and type(spec.grad) ~= "function" then
    error("law.form: grad must be a function or nil", 2)
  end
  for k in pairs(spec) do
    if not ({ name = 1, params = 1, lower = 1, upper = 1, start = 1, starts = 1, f = 1, grad = 1 })[k] then
      error(("law.form: unknown field '%s' (fields: name, params, lower, upper, start, starts, f, grad)")
        :format(tostring(k)), 2)
    end
  end
  local lower = per_param(spec, "lower", params, -math.huge)
  local upper = per_param(spec, "upper", params, math.huge)
  for i, p in ipairs(params) do
    if lower[i] > upper[i] then
      error(("law.form: bounds of '%s' are empty: [%s, %s]"):format(p, lower[i], upper[i]), 2)
    end
  end
  local starts = {}
  if spec.start ~= nil then starts[1] = per_param(spec, "start", params, nil) end
  if spec.starts ~= nil then
    if type(spec.starts) ~= "table" then error("law.form: starts must be a list of start points", 2) end
    for _, s in ipairs(spec.starts) do
      starts[#starts + 1] = per_param({ start = s }, "start", params, nil)
    end
  end
  if #starts == 0 then error("law.form: give start (one start point) or starts (a list)", 2) end
  return setmetatable({ name = spec.name, params = params, lower = lower, upper = upper, starts = starts,
    f = spec.f, grad = spec.grad }, Form)
end

local function resolve_form(form)
  if type(form) == "table" and getmetatable(form) ~= Form then
    local ok, res = pcall(M.form, form)
    if not ok then error(res, 3) end
    return res
  end
  return form
end

--- Weighted least-squares fit of `form` (a built-in name or a law.form) to
--- the points (C[j], y[j]). Bad input raises; too few points or a constant y
--- give a result with ok = false and a reason.
---@param form string|cod.law.Form
---@param C number[]         compute of each point, in compute units (> 0)
---@param y number[]         observed metric (or loss) of each point
---@param opts? cod.law.FitOptions
---@return cod.law.Result
function M.fit(form, C, y, opts)
  form = resolve_form(form)
  local r = call_core("fit", form, C, y, opts)
  return wrap(r, getmetatable(form) == Form and form or nil)
end

---@class cod.law.ClusterFit
---@field label integer         the cluster's label
---@field size integer          number of items in it
---@field y number[]            mean pass rate of its items per ladder model
---@field fit cod.law.Result    the fit of y against the ladder's compute

---@class cod.law.ClusterOptions: cod.law.FitOptions
---@field form? string|cod.law.Form   default "cod"
---@field threads? integer            fit clusters on this many threads (built-in forms only; default 1)

--- Fit every cluster of a labelled item set: `P` is items x ladder models
--- (a cod.Matrix or a table of rows of pass rates), `labels` one cluster id per
--- item (-1 = not in a cluster), `C` the ladder's compute. Clusters come back
--- in increasing label order. The result does not depend on `threads`.
---@param P cod.Matrix|number[][]
---@param labels integer[]
---@param C number[]
---@param opts? cod.law.ClusterOptions
---@return cod.law.ClusterFit[]
function M.fit_clusters(P, labels, C, opts)
  local lua_form
  if type(opts) == "table" and type(opts.form) == "table" then
    lua_form = resolve_form(opts.form)
    opts = copy(opts)
    opts.form = lua_form
  end
  local out = call_core("fit_clusters", P, labels, C, opts)
  for _, cl in ipairs(out) do wrap(cl.fit, lua_form) end
  return out
end

--- A curve from known parameters (e.g. read back from a report), evaluable
--- like a fit result. For built-in forms `c_ref` is the C_ref of the fit
--- (any positive value gives the same curve up to rounding; default 1).
---@param form string|cod.law.Form
---@param params table<string, number>
---@param c_ref? number
---@return cod.law.Result
function M.curve(form, params, c_ref)
  form = resolve_form(form)
  check.arg("curve", 2, params, "table")
  c_ref = c_ref or 1
  local r = { form = type(form) == "string" and form or form.name, ok = true, params = copy(params),
    c_ref = c_ref, converged = true, status = "given", n = 0, free = 0, sse = 0 / 0, r2 = 0 / 0,
    fixed = {}, evaluations = 0, local_runs = 0 }
  if type(form) == "string" then
    local info = call_core("form_info", form)
    for _, p in ipairs(info.params) do
      if type(params[p]) ~= "number" then
        check.arg_fail("curve", 2, ("parameter '%s' is a %s, expected a number"):format(p, type(params[p])))
      end
    end
    r.form = info.name
    r.param_names = info.params
    r.fit_param_names = info.fit_params
    r.fit_params = call_core("to_fit", form, params, c_ref)
    return wrap(r)
  end
  r.param_names = form.params
  r.fit_param_names = form.params
  r.fit_params = {}
  for i, p in ipairs(form.params) do
    if type(params[p]) ~= "number" then
      check.arg_fail("curve", 2, ("parameter '%s' is a %s, expected a number"):format(p, type(params[p])))
    end
    r.fit_params[i] = params[p]
  end
  return wrap(r, form)
end

--- Geometric mean of positive compute values (the C_ref of the cod forms).
---@param C number[]
---@return number
function M.geometric_mean(C)
  return call_core("geometric_mean", C)
end

return M
