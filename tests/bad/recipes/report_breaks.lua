-- Predicts fine, but leaves a value in the result that only the report writer trips
-- over (a fitted parameter that is a string): the run must fail with no partial --out.
local cod = require("cod.recipes").get("cod")
return cod:wrap("extrapolate", function(run, job, st, opts)
  run(job, st, opts)
  for _, c in ipairs(st.clusters) do
    if c.fit.ok then
      c.fit.params.a = "not a number"
      break
    end
  end
end):rename("report_breaks")
