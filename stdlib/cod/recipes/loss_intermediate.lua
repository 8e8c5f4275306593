--- loss_intermediate: compute → loss (E + A·C^−α) → metric (sigmoid in the loss) (SPEC §9).
local pipeline = require("cod.pipeline")
return pipeline.recipe({
  name = "loss_intermediate",
  kind = "baseline",
  description = "compute to loss power law, then loss to metric sigmoid",
  steps = { { "loss_intermediate", {} } },
})
