--- Table 4 of the paper (fitting formulas): the complete COD pipeline with each cluster's
--- curve fitted by the paper's form or one of its reductions (SPEC §4), and per form the means
--- over sets of EE (points), TR (predictable ratio, %) and FE (points).
---
---   codlua scripts/table4.lua                          -- synthetic + pythia-arith + bigbench-bigg
---   codlua scripts/table4.lua --data DIR --target MODEL
---
--- Recipes cod, cod_f1, cod_f2, cod_f3, without the fallback to e2e_exp unless --fallback.
--- See docs/scripts.md.

local E = require("cod.experiments")

E.variants_script({
  name = "table4",
  title = "Table 4 (fitting formulas)",
  datasets = { "synthetic", "pythia-arith", "bigbench-bigg" },
  variants = {
    { key = "cod", label = "cod (paper's f)", text = "g + (1-g)*exp(-a*C^-b - c)" },
    { key = "cod_f1", label = "f1 (w/o random guess)", text = "exp(-a*C^-b - c)" },
    { key = "cod_f2", label = "f2 (w/o constant c)", text = "g + (1-g)*exp(-a*C^-b)" },
    { key = "cod_f3", label = "f3 (direct power law)", text = "exp(-a*C^-b)" },
  },
  fields = {
    { field = "ee", head = "EE", fmt = "%.2f" },
    { field = "tr", head = "TR (%)", fmt = "%.1f" },
    { field = "fe", head = "FE", fmt = "%.2f" },
  },
  csv_header = { "dataset", "variant", "recipe", "text", "ee", "tr", "fe", "sets", "predicted" },
}, arg)
