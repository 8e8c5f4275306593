--- irt_extrapolate: an end-to-end item-response prediction for 0/1 data (SPEC §14). A joint 2PL
--- fit gives every model an ability and every item a curve; abilities are extrapolated linearly
--- in log-compute to the target, and the prediction is the mean of the items' curves there.
local pipeline = require("cod.pipeline")

return pipeline.recipe({
  name = "irt_extrapolate",
  description = "item-response baseline: joint 2PL fit, abilities linear in log-compute, mean item curve at the target",
  steps = { { "irt_extrapolate", {} } },
  kind = "baseline",
})
