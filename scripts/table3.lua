--- Table 3 of the paper (clustering methods): the complete COD pipeline with its clustering
--- swapped — Improved MeanShift (the default), KMeans, DBSCAN, MeanShift, Improved-KMeans —
--- and, per method, the means over sets of IAD (intra-cluster average distance), OR (outlier
--- rate, %), EE and FE (points).
---
---   codlua scripts/table3.lua                          -- synthetic + pythia-arith + bigbench-bigg
---   codlua scripts/table3.lua --data DIR --target MODEL [--per-set]
---
--- Recipes cod, cod_kmeans, cod_dbscan, cod_meanshift, cod_improved_kmeans (settings in
--- SPEC §3), without the fallback to e2e_exp unless --fallback. See docs/scripts.md.

local E = require("cod.experiments")

local METHODS = {
  { key = "cod", label = "Improved MeanShift" },
  { key = "cod_kmeans", label = "KMeans" },
  { key = "cod_dbscan", label = "DBSCAN" },
  { key = "cod_meanshift", label = "MeanShift" },
  { key = "cod_improved_kmeans", label = "Improved-KMeans" },
}

local spec = E.spec({
  name = "table3",
  datasets = { "synthetic", "pythia-arith", "bigbench-bigg" },
  options = {
    { "fallback", nil, "let a recipe fall back to e2e_exp when no cluster extrapolates (default: 'fail')" },
  },
})
local o = E.parse(spec, arg)

E.main(o, function()
  local csv = {}
  local entries = E.datasets(o, { want = function(name)
    if name == "olmo2-ladder" then return false, "scores only: no items to cluster" end
    return true
  end })
  for _, entry in ipairs(entries) do
    local runs = {}
    for i, m in ipairs(METHODS) do runs[i] = { key = m.key, recipe = m.key, fallback = o.fallback } end
    local rows = E.run(entry, runs, o)
    local part = E.print_variants("Table 3 (clustering methods)", entry, rows, METHODS, {
      { field = "iad", head = "IAD", fmt = "%.4f" },
      { field = "outlier_rate", head = "OR (%)", fmt = "%.1f" },
      { field = "ee", head = "EE", fmt = "%.2f" },
      { field = "fe", head = "FE", fmt = "%.2f" },
    })
    for _, r in ipairs(part) do csv[#csv + 1] = r end
  end
  local path = E.csv_path(o)
  E.write_csv(path, { "dataset", "variant", "recipe", "iad", "outlier_rate", "ee", "fe", "sets", "predicted" }, csv)
  E.note(o, "wrote %s (%d rows)", path, #csv)
end)
