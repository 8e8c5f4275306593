--- Command dispatch for `codlua <command> [args]`.
--- A command is a module `cod.cli.<name>` returning a table with
--- `summary` (one line) and `run(args)` (returns an exit status or nil for 0).

local M = {}

--- Known commands, in help order.
M.commands = { "help", "predict", "backtest" }

-- The module of a known command, or nil. Only the names in M.commands are commands (cod.cli
-- also holds helpers such as cod.cli.common); loading one is not protected, so a bug in a
-- command's module keeps its traceback.
local function load_command(name)
  for _, c in ipairs(M.commands) do
    if c == name then return require("cod.cli." .. name) end
  end
  return nil
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
