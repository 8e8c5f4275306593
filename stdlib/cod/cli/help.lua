--- `codlua help`: lists the commands.
local M = { summary = "list the commands" }

function M.run(_)
  local cli = require("cod.cli")
  print("usage: codlua <command> [args]   or   codlua [options] script.lua [args]")
  print("commands:")
  for _, name in ipairs(cli.commands) do
    local mod = require("cod.cli." .. name)
    print(("  %-10s %s"):format(name, mod.summary))
  end
  return 0
end

return M
