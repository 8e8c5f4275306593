--- cod.args: long-option parsing for codlua commands.
---
---   local args = require("cod.args")
---   local spec = {
---     usage = "codlua predict --items FILE --models FILE --target MODEL [options]",
---     { "items", "FILE", "items CSV" },
---     { "bootstrap", "N", "bootstrap rounds", number = true, integer = true, min = 0, max = 100000, default = 0 },
---     { "ladder", "M1,...", "ladder models", list = true },   -- no empty or repeated names
---     { "quiet", nil, "print less" },          -- a flag (no value)
---   }
---   local opts, err = args.parse(spec, arg)
---
--- `--name value` and `--name=value` both work; `--help` sets opts.help. A number option's
--- `min`/`max` are checked on the parsed number before it is made an integer, so a value out
--- of range is a usage error naming the value and the range, never a wrapped-around cast.

local M = {}

local function excerpt(s)
  return require("cod.text").excerpt(s)
end

local function num_text(x)
  if math.type(x) == "integer" then return tostring(x) end
  return ("%.6g"):format(x)
end

-- "between 0 and 1000", "at least 1", "at most 5"
local function range_text(o)
  if o.min and o.max then return ("between %s and %s"):format(num_text(o.min), num_text(o.max)) end
  if o.min then return "at least " .. num_text(o.min) end
  return "at most " .. num_text(o.max)
end

-- A comma-separated list of names: none empty, none repeated.
local function split_list(name, value)
  local list, seen = {}, {}
  if value == "" then return nil, ("option '--%s' needs at least one name, got ''"):format(name) end
  for item in (value .. ","):gmatch("([^,]*),") do
    if item == "" then
      return nil, ("option '--%s' has an empty name in '%s'"):format(name, excerpt(value))
    end
    if seen[item] then return nil, ("option '--%s' names '%s' twice"):format(name, excerpt(item)) end
    seen[item] = true
    list[#list + 1] = item
  end
  return list
end

local function find(spec, name)
  for _, o in ipairs(spec) do
    if o[1] == name then return o end
  end
end

local function option_names(spec)
  local names = {}
  for _, o in ipairs(spec) do names[#names + 1] = "--" .. o[1] end
  names[#names + 1] = "--help"
  return table.concat(names, ", ")
end

--- Parse `argv` (array of strings). Returns opts (keys with '-' turned into '_') and the
--- positional arguments, or nil and a message.
---@param spec table
---@param argv string[]
---@return table|nil opts, string[]|string positional_or_error
function M.parse(spec, argv)
  local opts, positional = {}, {}
  for _, o in ipairs(spec) do
    if o.default ~= nil then opts[o[1]:gsub("-", "_")] = o.default end
  end
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      opts.help = true
    elseif a == "--" then
      for j = i + 1, #argv do positional[#positional + 1] = argv[j] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, value = a:sub(3):match("^([^=]+)=(.*)$")
      name = name or a:sub(3)
      local o = find(spec, name)
      if not o then
        return nil, ("unknown option '--%s' (options: %s)"):format(name, option_names(spec))
      end
      local key = name:gsub("-", "_")
      if o[2] == nil then
        if value ~= nil then return nil, ("option '--%s' takes no value"):format(name) end
        opts[key] = true
      else
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, ("option '--%s' needs a value (%s)"):format(name, o[2]) end
        end
        if o.number then
          local n = tonumber(value)
          if n == nil or n ~= n then
            return nil, ("option '--%s' needs a number, got '%s'"):format(name, excerpt(value))
          end
          if (o.min and n < o.min) or (o.max and n > o.max) then
            return nil, ("option '--%s' must be %s, got %s"):format(name, range_text(o), excerpt(value))
          end
          if o.integer and math.type(n) ~= "integer" then
            if n ~= math.floor(n) then
              return nil, ("option '--%s' needs a whole number, got '%s'"):format(name, excerpt(value))
            end
            -- Whole but beyond the integers (1e300): an error, not a silent nil.
            n = math.tointeger(n)
            if n == nil then
              return nil, ("option '--%s' needs a whole number in the integer range, got '%s'"):format(name,
                excerpt(value))
            end
          end
          value = n
        elseif o.list then
          local list, err = split_list(name, value)
          if not list then return nil, err end
          value = list
        end
        opts[key] = value
      end
    else
      positional[#positional + 1] = a
    end
    i = i + 1
  end
  return opts, positional
end

--- The help text of a spec.
---@param spec table
---@return string
function M.help(spec)
  local lines = { "usage: " .. spec.usage, "options:" }
  for _, o in ipairs(spec) do
    local left = "--" .. o[1] .. (o[2] and (" " .. o[2]) or "")
    local default = o.default ~= nil and type(o.default) ~= "table" and (" (default " .. tostring(o.default) .. ")") or ""
    lines[#lines + 1] = ("  %-28s %s%s"):format(left, o[3] or "", default)
  end
  lines[#lines + 1] = ("  %-28s %s"):format("--help", "show this help")
  if spec.epilog then lines[#lines + 1] = spec.epilog end
  return table.concat(lines, "\n") .. "\n"
end

--- Parse a script's `argv` as a command would: on a mistake (unknown option, bad value,
--- an argument the script does not take) write "<name>: <message>" to stderr and exit 2;
--- with --help write the help to stdout and exit 0. Returns the options.
---@param spec table
---@param argv string[]
---@param name string   the script's name, for messages
---@return table opts
function M.parse_script(spec, argv, name)
  local o, rest = M.parse(spec, argv or {})
  if not o then
    io.stderr:write(name, ": ", rest, "\n")
    os.exit(2)
  end
  if o.help then
    io.stdout:write(M.help(spec))
    os.exit(0)
  end
  if #rest > 0 then
    io.stderr:write(name, ": unexpected argument '", rest[1], "'\n")
    os.exit(2)
  end
  return o
end

return M
