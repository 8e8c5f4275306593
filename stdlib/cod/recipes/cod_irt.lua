--- cod_irt: COD for single-answer 0/1 data (SPEC §14). Items are clustered on their curves from
--- a joint item-response fit (abilities shared by all items), not on their raw 0/1 patterns; each
--- cluster's mean curve is fitted (raw means step and jump on 0/1 data: docs/features.md has
--- both measured), filtered and mapped as in `cod`.
local pipeline = require("cod.pipeline")

return pipeline.recipe({
  name = "cod_irt",
  description = "COD on item-response curves: a joint 2PL fit smooths 0/1 answers before Improved MeanShift; filter and mapping as cod",
  steps = {
    { "irt_features", { fit_curves = true } },
    { "cluster", { method = "improved_meanshift" } },
    { "fit", { form = "cod" } },
    { "filter", { rule = "cod" } },
    { "extrapolate", {} },
    { "map", { method = "spline", anchors = true } },
  },
  fallback = "e2e_exp",
})
