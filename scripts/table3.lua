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

E.variants_script({
  name = "table3",
  title = "Table 3 (clustering methods)",
  datasets = { "synthetic", "pythia-arith", "bigbench-bigg" },
  variants = {
    { key = "cod", label = "Improved MeanShift" },
    { key = "cod_kmeans", label = "KMeans" },
    { key = "cod_dbscan", label = "DBSCAN" },
    { key = "cod_meanshift", label = "MeanShift" },
    { key = "cod_improved_kmeans", label = "Improved-KMeans" },
  },
  fields = {
    { field = "iad", head = "IAD", fmt = "%.4f" },
    { field = "outlier_rate", head = "OR (%)", fmt = "%.1f" },
    { field = "ee", head = "EE", fmt = "%.2f" },
    { field = "fe", head = "FE", fmt = "%.2f" },
  },
  csv_header = { "dataset", "variant", "recipe", "iad", "outlier_rate", "ee", "fe", "sets", "predicted" },
}, arg)
