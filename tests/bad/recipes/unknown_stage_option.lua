-- A misspelled stage option.
local cod = require("cod.recipes").get("cod")
return cod:with({ fit = { from = "f2" } })
