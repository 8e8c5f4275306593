--- bnsl: a broken neural scaling law (one break) on the error 1 − metric vs compute (SPEC §9).
local pipeline = require("cod.pipeline")
return pipeline.recipe({
  name = "bnsl",
  kind = "baseline",
  description = "broken neural scaling law (one break) on the full-set error",
  steps = { { "e2e", { form = "bnsl" } } },
})
