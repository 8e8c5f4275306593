--- Table A1 of the paper (filter thresholds): the complete COD pipeline with the paper's
--- extrapolatable-cluster rule (a > 1, b > 0.1, 0 <= c < 1) or one of its ablations, and per
--- rule the means over sets of EE (points), TR (predictable ratio, %) and FE (points).
---
---   codlua scripts/tableA1.lua                         -- synthetic + pythia-arith + bigbench-bigg
---   codlua scripts/tableA1.lua --data DIR --target MODEL --rules paper,none,my_rules.lua
---
--- Rules are names in cod.filters' registry (paper, ablation_a, ablation_b, ablation_c, none, or
--- any a --rules-file registered), run as cod:with{filter = {rule = name}} without the fallback
--- unless --fallback. See docs/scripts.md.

local E = require("cod.experiments")
local filters = require("cod.filters")

E.variants_script({
  name = "tableA1",
  title = "Table A1 (filter thresholds)",
  datasets = { "synthetic", "pythia-arith", "bigbench-bigg" },
  options = {
    { "rules", "R1,...", "filter rules (default: paper, ablation_a, ablation_b, ablation_c, none)", list = true },
    { "rules-file", "FILE.lua", "a Lua file that registers more rules with cod.filters.register" },
  },
  prepare = function(o)
    if o.rules_file then
      local chunk, err = loadfile(o.rules_file)
      if not chunk then require("cod.errors").user(tostring(err)) end
      chunk()
    end
  end,
  variants = function(o)
    local cod = require("cod.recipes").get("cod")
    local variants = {}
    for i, name in ipairs(o.rules or { "paper", "ablation_a", "ablation_b", "ablation_c", "none" }) do
      local rule = filters.get(name)
      variants[i] = { key = "rule_" .. name, label = name, text = rule.description:gsub(" %(.*%)$", ""),
        recipe = cod:with({ filter = { rule = name } }):rename("cod_rule_" .. name) }
    end
    return variants
  end,
  fields = {
    { field = "ee", head = "EE", fmt = "%.2f" },
    { field = "tr", head = "TR (%)", fmt = "%.1f" },
    { field = "fe", head = "FE", fmt = "%.2f" },
  },
  csv_header = { "dataset", "variant", "recipe", "text", "ee", "tr", "fe", "sets", "predicted" },
}, arg)
