---@meta
--- codlua's top-level module: `local cod = require("cod")`.
--- Submodules load on first use: `cod.data`, `cod.cluster`, `cod.law`, ...

local M = {}

---@type string
M.version = require("cod.core.version").version

setmetatable(M, {
  __index = function(t, key)
    if type(key) ~= "string" then return nil end
    local ok, mod = pcall(require, "cod." .. key)
    if not ok then
      -- Only "module not found" for this very name means "no such submodule".
      if type(mod) == "string" and mod:find("module 'cod." .. key .. "' not found", 1, true) then
        return nil
      end
      error(mod, 2)
    end
    rawset(t, key, mod)
    return mod
  end,
})

return M
