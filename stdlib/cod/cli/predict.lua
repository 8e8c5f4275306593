--- `codlua predict`: predict the target's score on every evaluation set.
local common = require("cod.cli.common")

local M = { summary = "predict a target model's benchmark scores from a ladder (COD)" }

M.spec = common.command_spec("codlua predict (--data DIR | --items FILE --models FILE) --target MODEL [options]", {
  { "target", "MODEL", "the model to predict (default: the model whose role is target)" },
  { "target-flops", "F", "predict at this compute (FLOPs) instead of a model's", number = true, min = 1, max = 1e40 },
  { "ladder", "M1,M2,...", "ladder models (default: every other model below the target's compute)", list = true },
  { "anchors", "A1,...", "anchor models (default: models whose role is anchor)", list = true },
  { "recipe", "auto|NAME|FILE.lua", "the headline's recipe: auto = the recommendation (the candidates " ..
    "weighted by their backtests on this ladder)", default = "auto" },
  { "candidates", "R1,R2,...", "candidate recipes (names or .lua files; 'default' = cod, e2e_exp, bnsl " ..
    "and loss_intermediate when losses are known, e2e_passrate on 0/1 sets)", list = true },
  { "no-backtest", nil, "skip the candidates' backtests (faster; no recommendation, no interval)" },
  { "backtest-items", "K", "backtest a set with more items on a seeded subsample of K (0 = all items)", number = true,
    integer = true, min = 0, max = 1 << 31, default = 10000 },
  { "sets", "S1,...", "evaluation sets to predict (default: all with items or scores)", list = true },
  { "bootstrap", "N", "bootstrap rounds (sampling noise in the 90% interval)", number = true, integer = true, min = 0,
    max = 100000, default = 0 },
  { "seed", "S", "random seed", number = true, integer = true, min = 0, max = 1 << 53, default = 1 },
  { "exact-rounds", nil, "bootstrap rounds run the recipes unchanged (default: the main run's bandwidth R, bin seeding, fits started from the main fits)" },
  { "exact-clustering", nil, "cod clusters every set exactly (default: large-set mode above " ..
    require("cod.cluster").large_set_threshold .. " distinct rows)" },
  { "smooth", "R", "average R adjacent checkpoints each side (paper A.2)", number = true, integer = true, min = 0,
    max = 1000, default = 0 },
  common.threads_option,
  common.compute_unit_option,
  { "transfer-ladder", "M1,...", "recipe transfer: cluster on this family's ladder", list = true },
  { "labels", "FILE", "recipe transfer: cluster labels saved by an earlier report (labels.csv)" },
  { "out", "DIR", "write report.json, report.md, CSV tables and plots here" },
  { "json", nil, "print report.json to stdout instead of the table" },
})

--- A target at or below the ladder's largest compute is interpolation, not the extrapolation
--- COD is built for: say so in the report's warnings (report.warnings, shown for all sets).
function M.warn_target_compute(ds, report, target_C)
  target_C = target_C or (report.target and ds:compute(report.target))
  if not target_C or #report.ladder == 0 then return end
  local top, top_C = nil, -math.huge
  for _, m in ipairs(report.ladder) do
    local c = ds:compute(m)
    if c > top_C then top, top_C = m, c end
  end
  if target_C <= top_C then
    local unit = ds:compute_unit()
    report.warnings = report.warnings or {}
    table.insert(report.warnings, ("the target's compute (%.4g FLOPs) is not above the ladder's largest model "
      .. "('%s', %.4g FLOPs): the prediction interpolates or goes below the ladder instead of extrapolating beyond it")
      :format(target_C * unit, require("cod.text").excerpt(top), top_C * unit))
  end
end

function M.run(argv)
  local o, status = common.parse("predict", M.spec, argv)
  if not o then return status end
  local claim <close> = common.claim_out(o)
  common.apply_threads(o)
  local ds = common.load(o)
  common.check_sets(ds, o.sets)
  local predict = require("cod.predict")
  local report = predict.run(ds, {
    target = o.target, ladder = o.ladder, anchors = o.anchors, recipe = o.recipe, sets = o.sets,
    bootstrap = o.bootstrap, seed = o.seed, smooth = o.smooth, candidates = o.candidates,
    backtest = not o.no_backtest, feature = o.feature, backtest_items = o.backtest_items,
    exact_rounds = o.exact_rounds or nil, exact_clustering = o.exact_clustering or nil,
    target_compute = o.target_flops and o.target_flops / ds:compute_unit() or nil,
    transfer_ladder = o.transfer_ladder,
    transfer_labels = o.labels and require("cod.report").read_labels(o.labels) or nil,
    -- The report's gnuplot processes start (fonts loaded) when a core is first left idle at
    -- the end of the batch of clusterings and backtests.
    idle = o.out and function() require("cod.plot").prewarm() end or nil,
  })
  M.warn_target_compute(ds, report, o.target_flops and o.target_flops / ds:compute_unit())
  local rep = require("cod.report")
  if o.json then
    io.stdout:write(require("cod.json").encode(rep.to_json(report), { indent = 1 }), "\n")
  else
    local text = require("cod.text")
    io.stdout:write(("codlua predict: recipe %s, target %s, ladder of %d models, %d anchors%s\n"):format(
      text.excerpt(report.recipe), text.excerpt(report.target or ("compute " .. tostring(o.target_flops))),
      #report.ladder, #report.anchors, report.feature ~= "metric" and (", feature " .. report.feature) or ""))
    for _, line in ipairs(rep.source_lines(report)) do io.stdout:write(line, "\n") end
    io.stdout:write(rep.table(report))
    io.stdout:write(rep.candidates_table(report))
    for _, w in ipairs(rep.warning_lines(report)) do io.stdout:write(w, "\n") end
    for _, k in ipairs(report.skipped) do
      io.stdout:write(("not predicted [%s]: %s\n"):format(text.excerpt(k.name), text.printable(k.reason)))
    end
  end
  if o.out then
    local plots = rep.write(report, o.out)
    io.stderr:write(("report written to %s%s\n"):format(o.out,
      plots.rendered and "" or (" (" .. tostring(plots.note) .. ")")))
  end
  return 0
end

return M
