--- cod: the complete COD pipeline (SPEC §2–§7) with the degenerate-fit guard of SPEC §13
--- (filter rule "cod": the paper's rule, and a fitted rise the ladder supports). When no
--- cluster extrapolates it falls back to the end-to-end exponential fit, and the report says so.
--- Above cluster.large_set_threshold distinct non-zero rows Improved MeanShift runs in large-set
--- mode (bin seeding, R from a subsample; docs/cluster.md, "Large sets"); --exact-clustering turns it off.
local pipeline = require("cod.pipeline")
local cluster = require("cod.cluster")

return pipeline.recipe({
  name = "cod",
  description = "COD: Improved MeanShift clusters, cod-form fits, the paper's filter plus the degenerate-fit guard, spline mapping with anchors",
  steps = {
    { "features", {} },
    { "cluster", { method = "improved_meanshift", large_sets = cluster.large_set_threshold } },
    { "fit", { form = "cod" } },
    { "filter", { rule = "cod" } },
    { "extrapolate", {} },
    { "map", { method = "spline", anchors = true } },
  },
  fallback = "e2e_exp",
})
