--- `codlua predict`: predict the target's score on every evaluation set.
local args = require("cod.args")

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
  { "responses", nil, "lm-eval: pass rate = share of the filtered responses matching the target (repeats)" },
  { "match", "OPT,...", "lm-eval --responses normalisation: ignore_case, ignore_punctuation, no_strip", list = true },
  { "runs", "average|newest", "lm-eval: several dated files of one model and task", default = "average" },
  { "feature", "NAME", "per-item feature for clustering and cluster fits: metric, choice_prob, choice_prob_norm, "
    .. "answer_prob, answer_prob_norm (lm-eval log-likelihoods)", default = "metric" },
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

--- Load the dataset named by the command-line options.
function M.load(o)
  local data = require("cod.data")
  if o.data then
    if o.items or o.models or o.scores then
      error("give either --data DIR or --items/--models/--scores, not both", 0)
    end
    return data.load(o.data, { compute_unit = o.compute_unit })
  end
  if not o.models then error("missing --models FILE (or --data DIR)", 0) end
  if not (o.items or o.scores or o.lmeval) then error("missing --items FILE (or --lmeval DIR, --scores FILE)", 0) end
  local read = { models = o.models, items = o.items, scores = o.scores, lmeval = o.lmeval,
    metric = o.lmeval and o.metric or nil, filter = o.lmeval and o.filter or nil, tasks = o.lmeval and o.tasks or nil,
    compute_unit = o.compute_unit }
  if o.lmeval then
    if o.runs ~= "average" and o.runs ~= "newest" then
      require("cod.errors").usage(("--runs must be average or newest, got '%s'"):format(o.runs))
    end
    read.runs = o.runs
    read.responses = o.responses or nil
    local known = { ignore_case = "ignore_case", ignore_punctuation = "ignore_punctuation", no_strip = "strip" }
    for _, m in ipairs(o.match or {}) do
      local key = known[m]
      if not key then
        require("cod.errors").usage(("--match: unknown option '%s' (options: ignore_case, ignore_punctuation, no_strip)")
          :format(m))
      end
      read[key] = key ~= "strip"
    end
  end
  return data.read(read)
end

function M.run(argv)
  local o, status = M.parse("predict", M.spec, argv)
  if not o then return status end
  local claim <close> = M.claim_out(o)
  local ds = M.load(o)
  local predict = require("cod.predict")
  local report = predict.run(ds, {
    target = o.target, ladder = o.ladder, anchors = o.anchors, recipe = o.recipe, sets = o.sets,
    bootstrap = o.bootstrap, seed = o.seed, smooth = o.smooth, self_check = not o.no_self_check,
    self_check_recipes = o.self_check_recipes, feature = o.feature,
    target_compute = o.target_flops and o.target_flops / ds:compute_unit() or nil,
    transfer_ladder = o.transfer_ladder,
    transfer_labels = o.labels and require("cod.report").read_labels(o.labels) or nil,
  })
  local rep = require("cod.report")
  if o.json then
    io.stdout:write(require("cod.json").encode(rep.to_json(report), { indent = 1 }), "\n")
  else
    io.stdout:write(("codlua predict: recipe %s, target %s, ladder of %d models, %d anchors%s\n"):format(
      report.recipe, tostring(report.target or ("compute " .. tostring(o.target_flops))), #report.ladder, #report.anchors,
      report.feature ~= "metric" and (", feature " .. report.feature) or ""))
    for _, line in ipairs(rep.source_lines(report)) do io.stdout:write(line, "\n") end
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
