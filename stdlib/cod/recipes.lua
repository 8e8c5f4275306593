--- cod.recipes: the registry of recipes (SPEC §9–§10).
---
--- Built-in recipes live in stdlib/cod/recipes/<name>.lua, each a few lines over
--- cod.pipeline. A user's recipe is a Lua file returning a recipe (pipeline.recipe{...}
--- or a built-in one changed with :with / :replace / :wrap), given by path.
---
---   local recipes = require("cod.recipes")
---   local r = recipes.get("cod_f2")            -- built-in
---   local mine = recipes.get("my_recipe.lua")  -- a file
---   recipes.register(r:rename("mine"))

local pipeline = require("cod.pipeline")
local errors = require("cod.errors")
local check = require("cod.check")

local M = {}

--- Built-in recipe names, in the paper's order.
M.builtin = {
  "cod", "cod_paper", "cod_no_mapping", "cod_anchor", "cod_no_anchor", "cod_f1", "cod_f2", "cod_f3",
  "cod_kmeans", "cod_improved_kmeans", "cod_dbscan", "cod_meanshift", "cod_irt", "irt_extrapolate",
  "e2e_exp", "e2e_passrate", "bnsl", "loss_intermediate", "transfer",
}

local registered = {}

--- Add a recipe under its name (replacing a registered one of that name).
---@param recipe cod.Recipe
function M.register(recipe)
  if not pipeline.is_recipe(recipe) then check.arg_error("register", 1, "recipe", recipe) end
  registered[recipe.name] = recipe
  return recipe
end

--- Every known name: built-in and registered.
---@return string[]
function M.names()
  local out, seen = {}, {}
  for _, n in ipairs(M.builtin) do
    out[#out + 1] = n
    seen[n] = true
  end
  local extra = {}
  for n in pairs(registered) do
    if not seen[n] then extra[#extra + 1] = n end
  end
  table.sort(extra)
  for _, n in ipairs(extra) do out[#out + 1] = n end
  return out
end

-- A recipe file that cannot be loaded (missing, a syntax error) is the user's mistake: one
-- line naming file:line. One that raises while it runs is a bug in the recipe: the error
-- goes up untouched and keeps its traceback, which starts at the recipe's own line.
local function load_file(path)
  local chunk, err = loadfile(path)
  if not chunk then
    local file, line = tostring(err):match("^(.-):(%d+):")
    errors.user(("cannot load recipe file %s"):format(err), { file = file or path, line = tonumber(line) })
  end
  local r = chunk()
  if not pipeline.is_recipe(r) then
    errors.user(("recipe file %s must return a recipe (made with require('cod.pipeline').recipe{...} or a " ..
      "built-in recipe's :with/:replace/:wrap), got %s"):format(path, type(r)), { file = path })
  end
  return r
end

--- A recipe by name, by file path (ending in .lua), or a recipe object as is.
---@param name string|cod.Recipe
---@return cod.Recipe
function M.get(name)
  if pipeline.is_recipe(name) then return name end
  if type(name) ~= "string" then
    check.arg("get", 1, name, "string")
  end
  if registered[name] then return registered[name] end
  if name:match("%.lua$") or name:find("/", 1, true) then return load_file(name) end
  for _, n in ipairs(M.builtin) do
    if n == name then
      local r = require("cod.recipes." .. name)
      return r
    end
  end
  local names = M.names()
  errors.user(("unknown recipe '%s'%s (recipes: %s; or give a .lua file)"):format(name,
    errors.did_you_mean(name, names), table.concat(names, ", ")))
end

return M
