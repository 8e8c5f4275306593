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

local FORMS = {
  { key = "cod", label = "cod (paper's f)", text = "g + (1-g)*exp(-a*C^-b - c)" },
  { key = "cod_f1", label = "f1 (w/o random guess)", text = "exp(-a*C^-b - c)" },
  { key = "cod_f2", label = "f2 (w/o constant c)", text = "g + (1-g)*exp(-a*C^-b)" },
  { key = "cod_f3", label = "f3 (direct power law)", text = "exp(-a*C^-b)" },
}

local spec = E.spec({
  name = "table4",
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
    for i, f in ipairs(FORMS) do runs[i] = { key = f.key, recipe = f.key, fallback = o.fallback } end
    local rows = E.run(entry, runs, o)
    local part = E.print_variants("Table 4 (fitting formulas)", entry, rows, FORMS, {
      { field = "ee", head = "EE", fmt = "%.2f" },
      { field = "tr", head = "TR (%)", fmt = "%.1f" },
      { field = "fe", head = "FE", fmt = "%.2f" },
    })
    for _, r in ipairs(part) do csv[#csv + 1] = r end
  end
  local path = E.csv_path(o)
  E.write_csv(path, { "dataset", "variant", "recipe", "text", "ee", "tr", "fe", "sets", "predicted" }, csv)
  E.note(o, "wrote %s (%d rows)", path, #csv)
end)
