-- A custom stage that raises while the recipe runs.
local cod = require("cod.recipes").get("cod")
return cod:replace("filter", function()
  error("custom filter exploded")
end):rename("stage_raises")
