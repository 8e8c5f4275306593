-- A user's recipe: the complete COD pipeline with a new filter rule and a new
-- fitting form, written here in Lua (no recompiling). Run it with
--   codlua predict --data data/pythia-monkeys --target pythia-12b@step143000 --recipe examples/my_recipe.lua
local filters = require("cod.filters")
local law = require("cod.law")
local cod = require("cod.recipes").get("cod")

-- A rule: the paper's thresholds, and the cluster must have risen by at least
-- 2 points across the ladder (flat clusters do not extrapolate).
filters.register("paper_rising", function(cl)
  local ok, why = filters.get("paper").fn(cl)
  if not ok then return false, why end
  if cl.y[#cl.y] - cl.y[1] < 0.02 then return false, "rise<0.02" end
  return true
end, "the paper's rule, and a rise of at least 2 points across the ladder", { replace = true })

-- A form: a logistic curve in log-compute, g + (1 - g) / (1 + exp(-k (log C - m))).
local logistic = law.form({
  name = "logistic",
  params = { "k", "m", "g" },
  lower = { k = 0, m = -20, g = 0 },
  upper = { k = 10, m = 30, g = 0.999 },
  start = { k = 1, m = 5, g = 0.05 },
  f = function(C, p)
    return p.g + (1 - p.g) / (1 + math.exp(-p.k * (math.log(C) - p.m)))
  end,
})

-- The logistic form has no a, b, c: judge its clusters by rise alone.
filters.register("rising", function(cl)
  if cl.y[#cl.y] - cl.y[1] < 0.02 then return false, "rise<0.02" end
  return true
end, "rise of at least 2 points across the ladder", { replace = true })

return cod:with({ fit = { form = logistic }, filter = { rule = "rising" } })
  :rename("my_logistic", "COD with a logistic form and a rising-cluster rule")
