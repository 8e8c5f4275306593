--- Command dispatch for `codlua <command> [args]`.
--- A command is a module `cod.cli.<name>` returning a table with
--- `summary` (one line) and `run(args)` (returns an exit status or nil for 0).

local M = {}

--- Known commands, in help order.
M.commands = { "help", "predict", "backtest" }

local function load_command(name)
  local ok, mod = pcall(require, "cod.cli." .. name)
  if ok then return mod end
  if type(mod) == "string" and mod:find("module 'cod.cli." .. name .. "' not found", 1, true) then
    return nil
  end
  error(mod, 0)
end

---@param command string
---@param ... string the command's arguments
---@return integer exit status
function M.main(command, ...)
  local args = { ... }
  local mod = load_command(command)
  if not mod then
    local errors = require("cod.errors")
    errors.usage(("unknown command '%s'%s (commands: %s; or give a script file)")
      :format(command, errors.did_you_mean(command, M.commands), table.concat(M.commands, ", ")))
  end
  return mod.run(args) or 0
end

return M
