--- cod.check: argument and option checks for stdlib functions, the Lua twin of the
--- C++ `Options` in bindings/support.hpp (DESIGN rules 5 and 7).
---
--- Messages follow Lua's own (`bad argument #2 to 'fit' (table expected, got nil)`) and
--- scikit-learn's habit of naming the offending value (`bad option 'min_size' to 'fit'
--- (an integer >= 1 expected, got 0)`). A misspelled option key lists the valid ones and
--- suggests the closest.
---
--- Two flavours, same checks:
---   * `check.arg`, `check.options`, … raise a plain error at the caller's caller
---     (like luaL_argerror): misusing an API is a bug in the calling code, and its
---     traceback is the reader's clue.
---   * `check.user.arg`, `check.user.options`, … raise a user error (cod.errors, exit 1,
---     one line): for values a user wrote as settings, such as a recipe's stage options.
---
---   local check = require("cod.check")
---   function M.fit(x, y, opts)
---     check.arg("fit", 1, x, "table")
---     opts = check.options("fit", opts, { method = "string?", k = "integer?" }, 3)
---     check.integer("fit", "k", opts.k, { min = 1 })
---   end

local errors = require("cod.errors")

-- A type spec is a Lua type name ("table"), an alternation ("string|function"), "integer",
-- "any", and a trailing "?" when nil is allowed.
local function type_ok(v, spec)
  if spec == "any" then return v ~= nil end
  for t in spec:gmatch("[^|]+") do
    if t == "integer" then
      if math.type(v) == "integer" then return true end
    elseif t == "callable" then
      if type(v) == "function" then return true end
      local mt = getmetatable(v)
      if type(mt) == "table" and mt.__call then return true end
    elseif type(v) == t then
      return true
    end
  end
  return false
end

-- What a value of the wrong type is, for "got ...": its type, as Lua's own messages say,
-- except a number where an integer was expected, which is shown.
local function got_type(v, types)
  if v == nil then return "nil" end
  if type(v) == "number" and types:find("integer", 1, true) then return tostring(v) end
  return type(v)
end

-- What a value out of range is, for "got ...": the value itself (scikit-learn's habit).
local function got(v)
  if type(v) == "number" then
    if v ~= v then return "NaN" end
    if math.type(v) == "float" and v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
      return ("%s (a float)"):format(v)
    end
    return tostring(v)
  end
  if type(v) == "string" then
    return #v <= 40 and ("'%s'"):format(v) or "a string"
  end
  return type(v) == "nil" and "nil" or type(v)
end

local function parse_spec(spec)
  local optional = spec:sub(-1) == "?"
  if optional then spec = spec:sub(1, -2) end
  return spec, optional
end

-- A function's name as messages show it: 'fit', or as given when it carries its own quotes
-- (stage 'fit').
local function callee(fname)
  return fname:find("'", 1, true) and fname or ("'" .. fname .. "'")
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- The checks, raising through `raise(message, level)`; `level` counts from the checker's
-- own caller (1 = the function that called check.*).
local function make(raise)
  local C = {}

  --- Check positional argument `n` of `fname` against a type spec; returns the value.
  ---@param fname string
  ---@param n integer
  ---@param v any
  ---@param spec string  e.g. "table", "string|function", "integer?", "number"
  ---@return any
  function C.arg(fname, n, v, spec)
    local types, optional = parse_spec(spec)
    if (v == nil and optional) or type_ok(v, types) then return v end
    raise(("bad argument #%d to %s (%s expected, got %s)"):format(n, callee(fname), types:gsub("|", " or "),
      got_type(v, types)), 2)
  end

  --- Raise "bad argument #n to 'fname' (<expected> expected, got <v>)" for a check of
  --- one's own (a recipe, a clustering result): the twin of luaL_argexpected.
  ---@param fname string
  ---@param n integer
  ---@param expected string
  ---@param v any
  function C.arg_error(fname, n, expected, v)
    raise(("bad argument #%d to %s (%s expected, got %s)"):format(n, callee(fname), expected, got_type(v, "")), 2)
  end

  --- Raise "bad argument #n to 'fname' (<why>)" for a value of the right type that is wrong.
  ---@param fname string
  ---@param n integer
  ---@param why string
  function C.arg_fail(fname, n, why)
    raise(("bad argument #%d to %s (%s)"):format(n, callee(fname), why), 2)
  end

  --- Raise "bad option 'key' to 'fname' (<why>)".
  ---@param fname string
  ---@param key string
  ---@param why string
  function C.option_fail(fname, key, why)
    raise(("bad option '%s' to %s (%s)"):format(key, callee(fname), why), 2)
  end

  --- Check an option table: `opts` may be nil (becomes {}); every key must be in `spec`
  --- ({key = type spec}); each value must match its spec. `n` is the table's argument
  --- number (for a wrong type of the table itself). Returns the table.
  ---@param fname string
  ---@param opts table|nil
  ---@param spec table<string, string>
  ---@param n? integer
  ---@return table
  function C.options(fname, opts, spec, n)
    if opts == nil then return {} end
    if type(opts) ~= "table" then
      raise(("bad argument #%d to %s (option table expected, got %s)"):format(n or 1, callee(fname),
        got_type(opts, "")), 2)
    end
    for k, v in pairs(opts) do
      local s = type(k) == "string" and spec[k] or nil
      if s == nil then
        local names = sorted_keys(spec)
        raise(("bad option '%s' to %s (valid options: %s)%s"):format(tostring(k), callee(fname),
          #names > 0 and table.concat(names, ", ") or "none", errors.did_you_mean(tostring(k), names)), 2)
      end
      local types = parse_spec(s)
      if not type_ok(v, types) then
        raise(("bad option '%s' to %s (%s expected, got %s)"):format(k, callee(fname), types:gsub("|", " or "),
          got_type(v, types)), 2)
      end
    end
    return opts
  end

  -- A range check on a number; `what` names it ("option 'k'" or "argument #2").
  local function range(fname, what, v, r, integer, level)
    if v == nil and r.optional then return v end
    local ok = type(v) == "number" and v == v and (not integer or math.type(v) == "integer")
    local parts = {}
    if r.min ~= nil then
      parts[#parts + 1] = ">= " .. tostring(r.min)
      ok = ok and v >= r.min
    end
    if r.above ~= nil then
      parts[#parts + 1] = "> " .. tostring(r.above)
      ok = ok and v > r.above
    end
    if r.max ~= nil then
      parts[#parts + 1] = "<= " .. tostring(r.max)
      ok = ok and v <= r.max
    end
    if r.below ~= nil then
      parts[#parts + 1] = "< " .. tostring(r.below)
      ok = ok and v < r.below
    end
    if r.finite then
      ok = ok and v > -math.huge and v < math.huge
      if #parts == 0 then parts[1] = "finite" end
    end
    if ok then return v end
    local noun = integer and "an integer" or (r.finite and #parts > 0 and parts[1] ~= "finite" and "a finite number"
      or "a number")
    local cond = #parts > 0 and (" " .. table.concat(parts, " and ")) or ""
    if cond == " finite" then noun, cond = "a finite number", "" end
    raise(("bad %s to %s (%s%s expected, got %s)"):format(what, callee(fname), noun, cond, got(v)), level + 1)
  end

  --- Check that option `key` is an integer in a range: r = {min?, max?, above?, below?, optional?}.
  ---@param fname string
  ---@param key string|integer  option name, or an argument number
  ---@param v any
  ---@param r? {min?: number, max?: number, above?: number, below?: number, optional?: boolean}
  ---@return integer
  function C.integer(fname, key, v, r)
    local what = type(key) == "number" and ("argument #" .. key) or ("option '" .. key .. "'")
    local out = range(fname, what, v, r or {}, true, 2)  -- not a tail call: the level counts this frame
    return out
  end

  --- Check that option `key` is a number in a range (NaN never passes):
  --- r = {min?, max?, above?, below?, finite?, optional?}.
  ---@param fname string
  ---@param key string|integer
  ---@param v any
  ---@param r? {min?: number, max?: number, above?: number, below?: number, finite?: boolean, optional?: boolean}
  ---@return number
  function C.number(fname, key, v, r)
    local what = type(key) == "number" and ("argument #" .. key) or ("option '" .. key .. "'")
    local out = range(fname, what, v, r or {}, false, 2)
    return out
  end

  --- Check that `v` is one of `names` (a string); the message lists them and suggests one.
  ---@param fname string
  ---@param key string|integer
  ---@param v any
  ---@param names string[]
  ---@param noun? string  what the names are ("clustering method"); default "value"
  ---@return string
  function C.one_of(fname, key, v, names, noun)
    for _, n in ipairs(names) do
      if v == n then return v end
    end
    local what = type(key) == "number" and ("argument #" .. key) or ("option '" .. key .. "'")
    raise(("bad %s to %s (unknown %s %s%s; known: %s)"):format(what, callee(fname), noun or "value", got(v),
      errors.did_you_mean(v, names), table.concat(names, ", ")), 2)
  end

  return C
end

-- A bug in the calling code: a plain error at the position of the call that misused the API.
-- `level` counts from the checker function; +1 for this helper, +1 for the checked function.
local M = make(function(message, level) error(message, level + 2) end)

--- The same checks raising user errors (one line, exit 1): for settings a user wrote.
M.user = make(function(message) errors.user(message) end)

return M
