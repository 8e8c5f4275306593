--- cod.registry: a registry of named extensions beside built-in names (DESIGN rule 11).
--- cod.cluster and cod.mapping each keep one, so that a recipe's stage option
--- `method = "name"` finds a user's method; both check names the same way.
---
---   local reg = require("cod.registry").new("clustering method", { "kmeans", "dbscan" })
---   M.register, M.names = reg.register, reg.names
---   local fn = reg.lookup("mine", "unknown clustering method '%s'%s (methods: %s)")

local check = require("cod.check")
local errors = require("cod.errors")

local M = {}

---@class cod.Registry
---@field register fun(name: string, fn: function, opts?: {replace?: boolean})
---@field names fun(): string[]
---@field lookup fun(name: string, message: string): function
---@field builtin fun(name: string): boolean

--- A registry for `kind` ("clustering method") next to the built-in `builtin` names.
---@param kind string
---@param builtin string[]
---@return cod.Registry
function M.new(kind, builtin)
  local registered = {}
  local is_builtin = {}
  for _, n in ipairs(builtin) do is_builtin[n] = true end
  local R = {}

  --- Register `fn` under `name` (not a built-in name; an earlier one only with replace).
  function R.register(name, fn, opts)
    check.arg("register", 1, name, "string")
    check.arg("register", 2, fn, "callable")
    opts = check.options("register", opts, { replace = "boolean" }, 3)
    if name == "" then check.arg_fail("register", 1, "a method needs a non-empty name") end
    if is_builtin[name] then check.arg_fail("register", 1, ("'%s' is a built-in %s"):format(name, kind)) end
    if registered[name] and not opts.replace then
      check.arg_fail("register", 1, ("%s '%s' is already registered (pass {replace = true})"):format(kind, name))
    end
    registered[name] = fn
  end

  --- Every name: the built-in ones in their order, then the registered ones sorted.
  function R.names()
    local out = {}
    for _, n in ipairs(builtin) do out[#out + 1] = n end
    local extra = {}
    for n in pairs(registered) do extra[#extra + 1] = n end
    table.sort(extra)
    for _, n in ipairs(extra) do out[#out + 1] = n end
    return out
  end

  --- The function registered under `name`; an unknown name is a user error (a name in a
  --- recipe's settings) made from `message`, a format of the name, a suggestion and the
  --- list of every name.
  ---@param name string
  ---@param message string  e.g. "unknown clustering method '%s'%s (methods: %s)"
  ---@return function
  function R.lookup(name, message)
    local fn = registered[name]
    if fn then return fn end
    local names = R.names()
    errors.user(message:format(name, errors.did_you_mean(name, names), table.concat(names, ", ")))
  end

  --- Whether `name` is a built-in name.
  function R.builtin(name)
    return is_builtin[name] == true
  end

  return R
end

return M
