--- cod.experiments: the shared machinery of the paper's experiment scripts (scripts/table*.lua):
--- options, datasets (a synthetic ladder with known truth and the bundled real data), running
--- recipes set by set, plain-text tables in the paper's layout and CSV files.
---
---   local E = require("cod.experiments")
---   local o = E.parse(E.spec{ name = "table4", datasets = { "synthetic", "pythia-arith" } }, arg)
---   for _, entry in ipairs(E.datasets(o)) do
---     local rows = E.run(entry, { { key = "cod", recipe = "cod" }, { key = "f1", recipe = "cod_f1" } })
---     ...
---   end
---
--- See docs/scripts.md.
---
--- The parts, one concept per file: cod.experiments.options (datasets known, command-line
--- options, main), .datasets (loading and selecting), .runner (running recipes, statistics,
--- variants_script) and .tables (text tables and CSV). They fill one table, this module.

local M = {}
for _, part in ipairs({ "options", "datasets", "runner", "tables" }) do
  require("cod.experiments." .. part)(M)
end

return M
