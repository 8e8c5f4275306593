-- A user's recipe: the COD pipeline with one of each extension point written here in
-- Lua (no recompiling) — a clustering method, a fitting form, a filter rule and a
-- mapping method, each registered by name and used by a stage. Run it with
--   codlua predict --data data/pythia-monkeys --target pythia-12b@step143000 --recipe examples/my_recipe.lua
local cluster = require("cod.cluster")
local law = require("cod.law")
local filters = require("cod.filters")
local mapping = require("cod.mapping")
local cod = require("cod.recipes").get("cod")

-- A clustering method: items ranked by their mean pass rate over the ladder and cut into
-- `groups` bins of (nearly) equal size. X[i][j] is item i's pass rate on ladder model j;
-- the answer is a label per item, 1..k (-1 would mark an outlier).
cluster.register("difficulty_bins", function(X, opts)
  local groups = opts.groups or 8
  local order, mean = {}, {}
  for i, row in ipairs(X) do
    local s = 0
    for _, p in ipairs(row) do s = s + p end
    mean[i], order[i] = s / #row, i
  end
  table.sort(order, function(a, b) return mean[a] < mean[b] or (mean[a] == mean[b] and a < b) end)
  local labels = {}
  for rank, i in ipairs(order) do labels[i] = math.min(groups, (rank - 1) * groups // #order + 1) end
  return { labels = labels, groups = groups }
end, { replace = true })

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

-- A filter rule. The logistic form has no a, b, c: judge its clusters by their rise
-- across the ladder (flat clusters do not extrapolate) and by the fit itself.
filters.register("rising", function(cl)
  if cl.y[#cl.y] - cl.y[1] < 0.02 then return false, "rise<0.02" end
  if cl.r2 < 0.5 then return false, "r2<0.5" end
  return true
end, "a rise of at least 2 points across the ladder and R2 >= 0.5", { replace = true })

-- A mapping method: straight lines between the points sorted by subset metric, through
-- (0,0) and (1,1), kept non-decreasing (a running maximum). x[i], y[i]: ladder model or
-- anchor i's subset and full-set metric; the answer's f maps one to the other.
mapping.register("polyline", function(x, y)
  local pts = { { 0, 0 } }
  for i = 1, #x do pts[#pts + 1] = { x[i], y[i] } end
  pts[#pts + 1] = { 1, 1 }
  table.sort(pts, function(a, b) return a[1] < b[1] end)
  for i = 2, #pts do pts[i][2] = math.max(pts[i][2], pts[i - 1][2]) end
  return {
    points = #x,
    f = function(v)
      for i = 2, #pts do
        local a, b = pts[i - 1], pts[i]
        if v <= b[1] then
          if b[1] == a[1] then return b[2] end
          return a[2] + (b[2] - a[2]) * (v - a[1]) / (b[1] - a[1])
        end
      end
      return pts[#pts][2]
    end,
  }
end, { replace = true })

return cod:with({
  cluster = { method = "difficulty_bins", options = { groups = 6 } },
  fit = { form = logistic },
  filter = { rule = "rising" },
  map = { method = "polyline" },
}):rename("my_recipe", "COD with difficulty bins, a logistic form, a rising-cluster rule and a polyline mapping")
