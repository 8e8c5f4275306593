-- A fitting form written in Lua whose f returns a string instead of a number.
local law = require("cod.law")
local cod = require("cod.recipes").get("cod")
local form = law.form({
  name = "stringly",
  params = { "k" },
  lower = { k = 0 },
  upper = { k = 10 },
  start = { k = 1 },
  f = function() return "0.5" end,
})
return cod:with({ fit = { form = form } }):rename("form_returns_string")
