--- e2e_passrate: a direct power law (f3) on the full-set mean pass rate (Hu et al. 2024; SPEC §9).
local pipeline = require("cod.pipeline")
return pipeline.recipe({
  name = "e2e_passrate",
  kind = "baseline",
  description = "end-to-end: direct power law on the mean pass rate",
  steps = { { "e2e", { form = "f3", passrate = true } } },
})
