--- `codlua predict`: predict the target's score on every evaluation set.
local args = require("cod.args")
local errors = require("cod.errors")

local M = { summary = "predict a target model's benchmark scores from a ladder (COD)" }

--- Where a command's dataset comes from: shared by predict and backtest (see M.load).
M.data_options = {
  { "data", "DIR", "dataset folder: models.csv and items.csv and/or scores.csv" },
  { "items", "FILE", "items CSV (benchmark,item_id,model,passrate[,n_samples,n_correct])" },
  { "models", "FILE", "models CSV (model,params,tokens[,compute_flops,role,family,size,step,loss])" },
  { "scores", "FILE", "scores CSV (benchmark,model,score): full-set metrics" },
  { "lmeval", "DIR", "lm-evaluation-harness --log_samples folder (with --models)" },
  { "metric", "KEY", "lm-eval per-sample metric key", default = "acc" },
  { "filter", "NAME", "lm-eval filter", default = "none" },
  { "tasks", "T1,...", "lm-eval tasks to read (default: all)", list = true },
}

--- --compute-unit: FLOPs per unit of compute in the fits. It changes the answer by design
--- (SPEC §1; docs/predict.md): the range keeps every compute finite and non-zero.
M.compute_unit_option = { "compute-unit", "FLOPS", "unit of compute in fits (1 to 1e30)", number = true, min = 1,
  max = 1e30, default = 1e18 }

--- A command's option spec: `usage`, the data options, then `own` options.
function M.command_spec(usage, own)
  local spec = { usage = usage }
  for _, o in ipairs(M.data_options) do spec[#spec + 1] = o end
  for _, o in ipairs(own) do spec[#spec + 1] = o end
  return spec
end

--- Parse a command's arguments: the options, or nil and the exit status after printing
--- the help (0) or a usage error (2).
function M.parse(name, spec, argv)
  local o, rest = args.parse(spec, argv)
  if not o then
    io.stderr:write("codlua ", name, ": ", rest, "\n")
    return nil, 2
  end
  if o.help then
    io.stdout:write(args.help(spec))
    return nil, 0
  end
  if #rest > 0 then
    io.stderr:write("codlua ", name, ": unexpected argument '", rest[1], "'\n")
    return nil, 2
  end
  return o
end

M.spec = M.command_spec("codlua predict (--data DIR | --items FILE --models FILE) --target MODEL [options]", {
  { "target", "MODEL", "the model to predict (default: the model whose role is target)" },
  { "target-flops", "F", "predict at this compute (FLOPs) instead of a model's", number = true, min = 1, max = 1e40 },
  { "ladder", "M1,M2,...", "ladder models (default: every other model below the target's compute)", list = true },
  { "anchors", "A1,...", "anchor models (default: models whose role is anchor)", list = true },
  { "recipe", "NAME|FILE.lua", "recipe to run", default = "cod" },
  { "sets", "S1,...", "evaluation sets to predict (default: all with items)", list = true },
  { "bootstrap", "N", "bootstrap rounds for intervals", number = true, integer = true, min = 0, max = 100000,
    default = 0 },
  { "seed", "S", "random seed", number = true, integer = true, min = 0, max = 1 << 53, default = 1 },
  { "smooth", "R", "average R adjacent checkpoints each side (paper A.2)", number = true, integer = true, min = 0,
    max = 1000, default = 0 },
  M.compute_unit_option,
  { "transfer-ladder", "M1,...", "recipe transfer: cluster on this family's ladder", list = true },
  { "labels", "FILE", "recipe transfer: cluster labels saved by an earlier report (labels.csv)" },
  { "no-self-check", nil, "skip the self-check" },
  { "self-check-recipes", "R1,...", "recipes compared in the self-check (default: cod, e2e_exp, e2e_passrate)",
    list = true },
  { "out", "DIR", "write report.json, report.md, CSV tables and plots here" },
  { "json", nil, "print report.json to stdout instead of the table" },
})

--- The files and folders a command reads (its --out must not hold them).
function M.inputs(o)
  local list = {}
  for _, k in ipairs({ "data", "items", "models", "scores", "lmeval", "labels" }) do
    if type(o[k]) == "string" and o[k] ~= "" then list[#list + 1] = o[k] end
  end
  if type(o.recipe) == "string" and o.recipe:find("[/.]") then list[#list + 1] = o.recipe end
  return list
end

--- Check --out and hold it for this run, before any computation (cod.files.claim_output);
--- nil without --out. Meant for a `<close>` variable.
function M.claim_out(o)
  if o.out == nil then return nil end
  return require("cod.files").claim_output(o.out, { inputs = M.inputs(o) })
end

--- Every name in `sets` (--sets) must be a set of the dataset: a user error naming it (as a
--- bounded, printable excerpt) and the sets there are.
function M.check_sets(ds, sets)
  if not sets then return end
  local all, have = ds:sets(), {}
  for _, s in ipairs(all) do have[s] = true end
  for _, s in ipairs(sets) do
    if not have[s] then
      local text, errors = require("cod.text"), require("cod.errors")
      local shown = {}
      for i = 1, math.min(#all, 20) do shown[i] = text.excerpt(all[i]) end
      errors.user(("unknown evaluation set '%s'%s (sets: %s%s)"):format(text.excerpt(s), errors.did_you_mean(s, all),
        table.concat(shown, ", "), #all > 20 and (", ... %d in all"):format(#all) or ""))
    end
  end
end

--- Load the dataset named by the command-line options.
function M.load(o)
  local data = require("cod.data")
  if o.data then
    if o.items or o.models or o.scores then
      errors.usage("give either --data DIR or --items/--models/--scores, not both")
    end
    return data.load(o.data, { compute_unit = o.compute_unit })
  end
  if not o.models then errors.usage("missing --models FILE (or --data DIR)") end
  if not (o.items or o.scores or o.lmeval) then errors.usage("missing --items FILE (or --lmeval DIR, --scores FILE)") end
  return data.read({ models = o.models, items = o.items, scores = o.scores, lmeval = o.lmeval,
    metric = o.lmeval and o.metric or nil, filter = o.lmeval and o.filter or nil, tasks = o.lmeval and o.tasks or nil,
    compute_unit = o.compute_unit })
end

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
  local o, status = M.parse("predict", M.spec, argv)
  if not o then return status end
  local claim <close> = M.claim_out(o)
  local ds = M.load(o)
  M.check_sets(ds, o.sets)
  local predict = require("cod.predict")
  local report = predict.run(ds, {
    target = o.target, ladder = o.ladder, anchors = o.anchors, recipe = o.recipe, sets = o.sets,
    bootstrap = o.bootstrap, seed = o.seed, smooth = o.smooth, self_check = not o.no_self_check,
    self_check_recipes = o.self_check_recipes,
    target_compute = o.target_flops and o.target_flops / ds:compute_unit() or nil,
    transfer_ladder = o.transfer_ladder,
    transfer_labels = o.labels and require("cod.report").read_labels(o.labels) or nil,
  })
  M.warn_target_compute(ds, report, o.target_flops and o.target_flops / ds:compute_unit())
  local rep = require("cod.report")
  if o.json then
    io.stdout:write(require("cod.json").encode(rep.to_json(report), { indent = 1 }), "\n")
  else
    local text = require("cod.text")
    io.stdout:write(("codlua predict: recipe %s, target %s, ladder of %d models, %d anchors\n"):format(
      text.excerpt(report.recipe), text.excerpt(report.target or ("compute " .. tostring(o.target_flops))),
      #report.ladder, #report.anchors))
    io.stdout:write(rep.table(report))
    for _, w in ipairs(rep.warning_lines(report)) do io.stdout:write(w, "\n") end
  end
  if o.out then
    local plots = rep.write(report, o.out)
    io.stderr:write(("report written to %s%s\n"):format(o.out,
      plots.rendered and "" or (" (" .. tostring(plots.note) .. ")")))
  end
  return 0
end

return M
