--- cod.cli.common: what the commands (predict, backtest) share — the data options and
--- their loading, the parsing of a command line, --out claiming, --threads, --sets checks.
--- Not a command itself (cod.cli runs only the names in cod.cli.commands).
local args = require("cod.args")
local errors = require("cod.errors")

local M = {}

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
    .. "answer_prob, answer_prob_norm (lm-eval log-likelihoods; docs/features.md)", default = "metric" },
}

--- --threads N, shared by predict and backtest (docs/parallel.md).
M.threads_option = { "threads", "N", "worker processes for independent tasks (0 = the number of cores)", number = true,
  integer = true, min = 0, max = 256, default = 0 }

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
  local read = { models = o.models, items = o.items, scores = o.scores, lmeval = o.lmeval,
    metric = o.lmeval and o.metric or nil, filter = o.lmeval and o.filter or nil, tasks = o.lmeval and o.tasks or nil,
    compute_unit = o.compute_unit }
  if o.lmeval then
    if o.runs ~= "average" and o.runs ~= "newest" then
      errors.usage(("--runs must be average or newest, got '%s'"):format(require("cod.text").excerpt(o.runs)))
    end
    read.runs = o.runs
    read.responses = o.responses or nil
    local known = { ignore_case = "ignore_case", ignore_punctuation = "ignore_punctuation", no_strip = "strip" }
    for _, m in ipairs(o.match or {}) do
      local key = known[m]
      if not key then
        errors.usage(("--match: unknown option '%s' (options: ignore_case, ignore_punctuation, no_strip)")
          :format(require("cod.text").excerpt(m)))
      end
      read[key] = key ~= "strip"
    end
  end
  return data.read(read)
end

--- Make --threads the default of cod.parallel (and the cap of the engine's threads).
function M.apply_threads(o)
  require("cod.parallel").set_threads(o.threads)
end

return M
