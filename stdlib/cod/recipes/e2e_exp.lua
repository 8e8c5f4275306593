--- e2e_exp: the cod form fitted to the full-set metric vs compute over the ladder (SPEC §9).
local pipeline = require("cod.pipeline")
return pipeline.recipe({
  name = "e2e_exp",
  kind = "baseline",
  description = "end-to-end: cod-form fit of the full-set metric vs compute",
  steps = { { "e2e", { form = "cod" } } },
})
