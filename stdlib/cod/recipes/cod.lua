--- cod: the complete COD pipeline (SPEC §2–§7). When no cluster extrapolates it
--- falls back to the end-to-end exponential fit, and the report says so.
local pipeline = require("cod.pipeline")

return pipeline.recipe({
  name = "cod",
  description = "COD: Improved MeanShift clusters, cod-form fits, the paper's filter, spline mapping with anchors",
  steps = {
    { "features", {} },
    { "cluster", { method = "improved_meanshift" } },
    { "fit", { form = "cod" } },
    { "filter", { rule = "paper" } },
    { "extrapolate", {} },
    { "map", { method = "spline", anchors = true } },
  },
  fallback = "e2e_exp",
})
