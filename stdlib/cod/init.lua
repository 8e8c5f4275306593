---@meta
--- codlua's top-level module: `local cod = require("cod")`.
--- Submodules load on first use: `cod.data`, `cod.cluster`, `cod.law`, ...

local M = {}

---@type string
M.version = require("cod.core.version").version

setmetatable(M, {
  __index = function(t, key)
    if type(key) ~= "string" then return nil end
    -- "No such submodule" is decided by looking for it, not by the wording of require's
    -- error; loading one is not protected, so a bug in it keeps its traceback.
    local name = "cod." .. key
    if package.loaded[name] == nil and package.preload[name] == nil
      and package.searchpath(name, package.path) == nil then
      return nil
    end
    local mod = require(name)
    rawset(t, key, mod)
    return mod
  end,
})

return M
