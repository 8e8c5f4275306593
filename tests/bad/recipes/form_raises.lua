-- A fitting form written in Lua that raises inside the fit (inside NLopt's objective
-- callback) after 25 evaluations.
local law = require("cod.law")
local cod = require("cod.recipes").get("cod")
local calls = 0
local form = law.form({
  name = "exploding",
  params = { "k", "m" },
  lower = { k = 0, m = -20 },
  upper = { k = 10, m = 30 },
  start = { k = 1, m = 5 },
  f = function(C, p)
    calls = calls + 1
    if calls > 25 then error("form exploded at evaluation " .. calls) end
    return 1 / (1 + math.exp(-p.k * (math.log(C) - p.m)))
  end,
})
return cod:with({ fit = { form = form } }):rename("form_raises")
