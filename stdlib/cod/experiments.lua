--- cod.experiments: the shared machinery of the paper's experiment scripts (scripts/table*.lua):
--- options, datasets (a synthetic ladder with known truth and the bundled real data), running
--- recipes set by set, plain-text tables in the paper's layout and CSV files.
---
---   local E = require("cod.experiments")
---   local o = E.parse(E.spec{ name = "table4", datasets = { "synthetic", "pythia-arith" } }, arg)
---   for _, entry in ipairs(E.datasets(o)) do
---     local rows = E.run(entry, { { key = "cod", recipe = "cod" }, { key = "f1", recipe = "cod_f1" } })
---     ...
---   end
---
--- See docs/scripts.md.

local args = require("cod.args")
local sys = require("cod.core.sys")
local files = require("cod.files")
local errors = require("cod.errors")

local M = {}

-- ------------------------------------------------------------------ datasets

--- Bundled real datasets (folders of data/) the scripts know how to set up.
M.bundled = { "bigbench-bigg", "pythia-arith", "pythia-monkeys", "olmo2-ladder" }

--- How each bundled real dataset is predicted by default: the target, and whether the ladder
--- leaves out the target's own size (earlier checkpoints of the target would leak its answer).
---@type table<string, {target: string, other_sizes?: boolean, note: string}>
M.presets = {
  ["bigbench-bigg"] = { target = "BIG-G_T0_27b",
    note = "0/1 correctness (one answer per item); ladder 2m..8b, the cleaner test per data/README.md" },
  ["pythia-arith"] = { target = "pythia-v0-12b-deduped(old:13b)@step143000", other_sizes = true,
    note = "ladder: every checkpoint of the six smaller sizes (160m..6.9b); 12b's own checkpoints left out" },
  ["pythia-monkeys"] = { target = "pythia-12b@step143000", other_sizes = true,
    note = "true pass rates from many samples, but tiny (0-2%); ladder: every checkpoint of 14m..6.9b" },
  ["olmo2-ladder"] = { target = "olmo2-7B-4T-anneal",
    note = "scores only (no items): only the end-to-end baselines apply" },
}

--- The synthetic defaults (cod.synth.paper_like): anchors, target factor and trials.
M.synthetic_defaults = { seed = 1, anchors = 2, target_factor = 5, trials = 100 }

local DATASET_NAMES = { "synthetic" }
for _, n in ipairs(M.bundled) do DATASET_NAMES[#DATASET_NAMES + 1] = n end

local function contains(list, v)
  for _, x in ipairs(list or {}) do
    if x == v then return true end
  end
  return false
end

-- The repository root, from the running script's path (scripts/<name>.lua), else ".".
local function repo_root()
  local script = arg and arg[0] or ""
  local dir = script:match("^(.*)/[^/]*$") or "."
  for _, cand in ipairs({ dir .. "/..", dir, "." }) do
    if sys.is_dir(cand .. "/data/bigbench-bigg") then return cand end
  end
  return "."
end

--- The folder of a bundled dataset.
---@param name string  one of M.bundled
---@return string
function M.bundled_dir(name)
  return repo_root() .. "/data/" .. name
end

--- The command-line spec of a script: the common options plus the script's own.
---@param t {name: string, usage?: string, datasets: string[], scale?: number, options?: table[], epilog?: string}
---@return table spec  (for cod.args)
function M.spec(t)
  local spec = {
    usage = t.usage or ("codlua scripts/%s.lua [--data DIR --target MODEL | --datasets D1,...] [options]"):format(t.name),
    epilog = t.epilog,
    script = t.name,
    default_datasets = t.datasets,
    { "data", "DIR", "a dataset folder (models.csv, items.csv and/or scores.csv) instead of the bundled data" },
    { "items", "FILE", "items CSV (with --models) instead of --data" },
    { "models", "FILE", "models CSV" },
    { "scores", "FILE", "scores CSV (full-set metrics)" },
    { "compute-unit", "FLOPS", "unit of compute in fits", number = true, default = 1e18 },
    { "datasets", "D1,...", "bundled data to run: " .. table.concat(DATASET_NAMES, ", ") .. " (default: "
      .. table.concat(t.datasets, ",") .. ")", list = true },
    { "target", "MODEL", "the model to predict (default: the role 'target', or the preset of a bundled dataset)" },
    { "ladder", "M1,...", "ladder models (default: every other model below the target's compute)", list = true },
    { "other-sizes", nil, "leave the target's own size (its earlier checkpoints) out of the default ladder" },
    { "anchors", "A1,...", "anchor models (default: models whose role is anchor)", list = true },
    { "sets", "S1,...", "evaluation sets (default: all)", list = true },
    { "scale", "X", "synthetic: items per set x X (paper_like has 1,000-3,000 per set at 1)", number = true,
      default = t.scale or 0.25 },
    { "seed", "S", "synthetic: seed", number = true, integer = true, default = M.synthetic_defaults.seed },
    { "trials", "N", "synthetic: samples per item and model (1 = single 0/1 answers)", number = true, integer = true,
      default = M.synthetic_defaults.trials },
    { "target-factor", "F", "synthetic: target compute / largest ladder compute", number = true,
      default = M.synthetic_defaults.target_factor },
    { "synthetic-anchors", "N", "synthetic: anchor models between the ladder and the target", number = true,
      integer = true, default = M.synthetic_defaults.anchors },
    { "csv", "FILE", "write the table here (default: " .. t.name .. ".csv in --out or the current folder)" },
    { "out", "DIR", "folder for the CSV (created when missing)" },
    { "quiet", nil, "no progress lines on stderr" },
  }
  for _, o in ipairs(t.options or {}) do spec[#spec + 1] = o end
  return spec
end

--- Parse `argv` with a spec from M.spec; prints help or an error and exits as a command would.
---@param spec table
---@param argv string[]
---@return table opts
function M.parse(spec, argv)
  local o, rest = args.parse(spec, argv or {})
  if not o then
    io.stderr:write(spec.script, ": ", rest, "\n")
    os.exit(2)
  end
  if o.help then
    io.stdout:write(args.help(spec))
    os.exit(0)
  end
  if #rest > 0 then
    io.stderr:write(spec.script, ": unexpected argument '", rest[1], "'\n")
    os.exit(2)
  end
  for _, d in ipairs(o.datasets or {}) do
    if not contains(DATASET_NAMES, d) then
      io.stderr:write(("%s: unknown dataset '%s' (datasets: %s)\n"):format(spec.script, d,
        table.concat(DATASET_NAMES, ", ")))
      os.exit(2)
    end
  end
  if (o.data or o.items or o.models or o.scores) and o.datasets then
    io.stderr:write(spec.script, ": give either --data/--items/--models or --datasets, not both\n")
    os.exit(2)
  end
  if not (o.scale > 0) then
    io.stderr:write(("%s: --scale must be > 0, got %s\n"):format(spec.script, tostring(o.scale)))
    os.exit(2)
  end
  o.script = spec.script
  o.default_datasets = spec.default_datasets
  return o
end

--- Run `fn()`; a user error (cod.errors: a model name that is not in the data, a file that
--- cannot be read) prints "<script>: message" and exits with its status, without a
--- traceback. Any other error is a bug: its message and traceback are printed, exit status 1.
---@param o table  parsed options
---@param fn fun()
function M.main(o, fn)
  local ok, err = xpcall(fn, function(e)
    if errors.is_user(e) and os.getenv("CODLUA_TRACEBACK") ~= "1" then return e end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then return end
  -- A bug arrives here as its message with the traceback (made before the stack unwound).
  io.stderr:write(o.script, ": ", tostring(err), "\n")
  os.exit(errors.is_user(err) and err.status or 1)
end

--- A progress line on stderr (unless --quiet).
---@param o table
---@param fmt string
---@param ... any
function M.note(o, fmt, ...)
  if not o.quiet then io.stderr:write(o.script, ": ", fmt:format(...), "\n") end
end

-- The model names of a dataset below `target` in compute, other than the target's size when
-- `other_sizes`, without anchors.
local function ladder_below(ds, target, other_sizes, anchors)
  local t = ds:model(target)
  local tc = ds:compute(target)
  local names = {}
  for _, m in ipairs(ds:models()) do
    if m.name ~= target and m.role ~= "anchor" and not contains(anchors, m.name) and m.compute < tc
        and not (other_sizes and m.size ~= nil and m.size == t.size) then
      names[#names + 1] = m.name
    end
  end
  return ds:order_by_compute(names)
end

--- The model choice of a dataset: {target, ladder, anchors} from the options and a preset.
---@param ds cod.Dataset
---@param o table
---@param preset? table
---@return {target: string, ladder: string[], anchors: string[]}
function M.select(ds, o, preset)
  preset = preset or {}
  local target = o.target or preset.target
  local sel = ds:select({ target = target, ladder = o.ladder, anchors = o.anchors })
  if not sel.target then
    errors.user("no target: give --target MODEL (or a model with role 'target' in the models CSV)")
  end
  if not o.ladder and (o.other_sizes or preset.other_sizes) then
    sel.ladder = ladder_below(ds, sel.target, true, sel.anchors)
    if #sel.ladder < 2 then
      errors.user(("--other-sizes leaves %d ladder models below '%s'"):format(#sel.ladder, sel.target))
    end
  end
  return sel
end

--- A synthetic paper-like dataset with known truth (cod.synth.paper_like) from the options.
---@param o table
---@return cod.Dataset ds, cod.synth.Truth truth
function M.synthetic(o)
  return require("cod.synth").paper_like({
    seed = o.seed, anchors = o.synthetic_anchors, target_factor = o.target_factor, scale = o.scale,
    trials = o.trials ~= 1 and o.trials or nil, single_answer = o.trials == 1 or nil,
  })
end

---@class cod.experiments.Entry
---@field name string          "synthetic", a bundled name, or the --data folder
---@field label string         one line saying what the data and the model choice are
---@field ds cod.Dataset
---@field truth? cod.synth.Truth
---@field target string
---@field ladder string[]
---@field anchors string[]
---@field sets string[]

local function describe(sel)
  local l = sel.ladder
  return ("target %s; ladder of %d models (%s .. %s); %d anchors"):format(sel.target, #l, l[1], l[#l],
    #sel.anchors)
end

--- An entry from a dataset and a model choice (extra fields are copied in; `note` ends the label).
---@param name string
---@param ds cod.Dataset
---@param sel {target: string, ladder: string[], anchors: string[]}
---@param o table
---@param extra? table
---@return cod.experiments.Entry
function M.entry(name, ds, sel, o, extra)
  local sets = o.sets or ds:sets()
  local all = ds:sets()
  for _, s in ipairs(sets) do
    if not contains(all, s) then
      errors.user(("unknown evaluation set '%s' in %s%s (sets: %s)"):format(s, name, errors.did_you_mean(s, all),
        table.concat(all, ", ")))
    end
  end
  local e = { name = name, ds = ds, target = sel.target, ladder = sel.ladder, anchors = sel.anchors, sets = sets }
  for k, v in pairs(extra or {}) do e[k] = v end
  M.relabel(e)
  return e
end

--- Recompute entry.label after changing its target, ladder, anchors or note.
---@param e cod.experiments.Entry
function M.relabel(e)
  e.label = ("%s: %s%s"):format(e.name, describe(e), e.note and (" — " .. e.note) or "")
end

--- Load one dataset by name ("synthetic" or a bundled folder name).
---@param name string
---@param o table
---@return cod.experiments.Entry
function M.load(name, o)
  if name == "synthetic" then
    local ds, truth = M.synthetic(o)
    local sel = M.select(ds, o)
    return M.entry("synthetic", ds, sel, o, {
      truth = truth,
      note = ("cod.synth.paper_like seed %d, scale %g, %d trials, target at %gx the top of the ladder"):format(
        o.seed, o.scale, o.trials, o.target_factor),
    })
  end
  local preset = M.presets[name]
  local ds = require("cod.data").load(M.bundled_dir(name), { compute_unit = o.compute_unit })
  -- A preset's ladder rule applies only to its own target.
  local use = preset
  if o.target and preset and o.target ~= preset.target then use = nil end
  local sel = M.select(ds, o, use)
  return M.entry(name, ds, sel, o, { note = use and use.note or nil })
end

--- Two synthetic model families on the same items (Table 2). Family A is the paper_like
--- ladder of M.synthetic(o) (models "A-1".."A-8", its sampled pass rates); family B
--- ("B-1".."B-m" and "B-target") has its own compute grid and is `efficiency` times as
--- compute-efficient: its true pass probability on an item is the item's own law (truth
--- parameters alpha, beta, gamma, guess, cap, noise) at efficiency·C, with fresh noise draws,
--- sampled binomially with o.trials trials from cod.core.random(seed). The target sits at
--- o.target_factor × B's largest compute.
---@param o table  parsed options (seed, scale, trials, target_factor)
---@param b? {models?: integer, min_flops?: number, max_flops?: number, efficiency?: number}
---  defaults: 6 models from 3e18 to 1e21 FLOPs, efficiency 2
---@return cod.Dataset ds
---@return {a_ladder: string[], b_ladder: string[], target: string, expected: table<string, number>} info
---  expected[set] is B-target's expected full-set metric (mean true probability)
function M.two_families(o, b)
  b = b or {}
  local n_b = b.models or 6
  local lo, hi = b.min_flops or 3e18, b.max_flops or 1e21
  local eff = b.efficiency or 2
  if math.type(n_b) ~= "integer" or n_b < 2 then errors.user(("family B needs >= 2 models, got %s"):format(n_b)) end
  if not (hi > lo and lo > 0) then errors.user(("family B needs 0 < min_flops < max_flops, got %g, %g"):format(lo, hi)) end
  if not (eff > 0) then errors.user(("family B's efficiency must be > 0, got %s"):format(tostring(eff))) end
  local ds_a, truth = M.synthetic(o)
  local unit = truth.compute_unit
  local item_probability = require("cod.core.synth").item_probability  -- the engine's item law
  local trials = o.trials
  local rng = require("cod.core.random").new(o.seed * 7919 + 17)
  -- Box–Muller from the seeded uniform stream.
  local function normal()
    local u1 = rng:uniform()
    while u1 <= 0 do u1 = rng:uniform() end
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * rng:uniform())
  end
  local models, a_ladder, b_ladder = {}, {}, {}
  local a_cols = {}
  for j, name in ipairs(truth.models) do
    if truth.roles[j] == "ladder" then
      local m = ds_a:model(name)
      local new = "A-" .. (#a_ladder + 1)
      a_ladder[#a_ladder + 1] = new
      a_cols[#a_cols + 1] = j
      models[#models + 1] = { name = new, params = m.params, tokens = m.tokens, compute_flops = m.compute_flops,
        family = "A", role = "ladder" }
    end
  end
  local b_compute = {}
  for k = 1, n_b do
    b_compute[k] = lo * (hi / lo) ^ ((k - 1) / (n_b - 1))
  end
  b_compute[n_b + 1] = hi * o.target_factor
  for k, C in ipairs(b_compute) do
    local params = math.sqrt(C / (6 * 20))
    local name = k <= n_b and ("B-" .. k) or "B-target"
    if k <= n_b then b_ladder[#b_ladder + 1] = name end
    models[#models + 1] = { name = name, params = params, tokens = 20 * params, compute_flops = C, family = "B",
      role = k <= n_b and "ladder" or "target" }
  end
  local names = {}
  for j, m in ipairs(models) do names[j] = m.name end
  local sets, expected = {}, {}
  for _, set in ipairs(truth.set_names) do
    local st = truth.sets[set]
    local passA = ds_a:pass(set)
    local pass, counts = {}, {}
    local sum_target = 0
    for i = 1, st.items do
      local row, crow = {}, {}
      for k, j in ipairs(a_cols) do
        row[k] = passA:get(i, j)
        crow[k] = trials
      end
      for k, C in ipairs(b_compute) do
        local p = 0
        if st.kinds[i] ~= "zero" then
          p = item_probability({ alpha = st.alpha[i], beta = st.beta[i], gamma = st.gamma[i], guess = st.guess[i],
            cap = st.cap[i] }, eff * C / unit)
          if st.noise[i] > 0 then p = p + st.noise[i] * normal() end
          p = math.min(1, math.max(0, p))
        end
        if k == #b_compute then sum_target = sum_target + p end
        row[#a_cols + k] = trials > 0 and rng:binomial(trials, p) / trials or p
        crow[#a_cols + k] = trials
      end
      pass[i] = row
      counts[i] = crow
    end
    expected[set] = sum_target / st.items
    sets[#sets + 1] = { name = set, items = ds_a:items(set), models = names, pass = pass,
      trials = trials > 0 and counts or nil }
  end
  local ds = require("cod.data").from_tables({ models = models, sets = sets, compute_unit = unit })
  return ds, { a_ladder = a_ladder, b_ladder = b_ladder, target = "B-target", expected = expected }
end

--- The datasets a run covers: --data/--items (one), else --datasets, else the script's defaults.
---@param o table
---@param how? {want?: fun(name: string): boolean|nil, string|nil, load?: table<string, fun(o: table): cod.experiments.Entry>}
---  want(name) returning false (and why) skips a bundled dataset; load[name](o) replaces M.load for it
---@return cod.experiments.Entry[]
function M.datasets(o, how)
  if o.data or o.items or o.models or o.scores then
    local ds = require("cod.cli.predict").load(o)
    local path = o.data and (o.data:gsub("/+$", "")) or o.items or o.scores
    local name = path:match("([^/]+)$") or path
    local preset = o.data and M.presets[name] or nil
    if preset and o.target and o.target ~= preset.target then preset = nil end
    local sel = M.select(ds, o, preset)
    return { M.entry(name, ds, sel, o, { note = preset and preset.note or nil }) }
  end
  local out = {}
  for _, name in ipairs(o.datasets or o.default_datasets or {}) do
    local ok, why = true, nil
    if how and how.want then ok, why = how.want(name) end
    if ok == false then
      M.note(o, "skipping %s: %s", name, why or "not applicable")
    else
      local t0 = sys.clock()
      local loader = how and how.load and how.load[name]
      out[#out + 1] = loader and loader(o) or M.load(name, o)
      M.note(o, "%s loaded in %.2f s", name, sys.clock() - t0)
    end
  end
  return out
end

--- The models of `entry` a set can use: ladder, anchors and target restricted to the set's
--- models. Returns nil and a reason when the set lacks the target or has < 2 ladder models.
---@param entry cod.experiments.Entry
---@param set string
---@return table|nil sel, string|nil reason
function M.set_selection(entry, set)
  local ds = entry.ds
  local in_set = {}
  for _, m in ipairs(ds:set_models(set)) do in_set[m] = true end
  local scores = ds:scores(set)
  local n_items = #ds:items(set)
  local has = function(m) return (n_items > 0 and in_set[m]) or scores[m] ~= nil end
  if not has(entry.target) then return nil, ("no results for the target '%s'"):format(entry.target) end
  local sel = { target = entry.target, ladder = {}, anchors = {} }
  for _, m in ipairs(entry.ladder) do
    if has(m) then sel.ladder[#sel.ladder + 1] = m end
  end
  for _, m in ipairs(entry.anchors) do
    if has(m) then sel.anchors[#sel.anchors + 1] = m end
  end
  if #sel.ladder < 2 then return nil, ("only %d ladder models have results"):format(#sel.ladder) end
  return sel
end

--- True when every ladder model of the entry has a loss (loss_intermediate applies).
---@param entry cod.experiments.Entry
---@return boolean
function M.has_losses(entry)
  for _, m in ipairs(entry.ladder) do
    if entry.ds:model(m).loss == nil then return false end
  end
  return true
end

-- ------------------------------------------------------------------ running recipes

---@class cod.experiments.Run
---@field key string                     column key
---@field recipe string|cod.Recipe       a recipe name, file or object
---@field fallback? boolean              keep the recipe's fallback (default false: a variant that fails shows as failed)
---@field transfer_ladder? string[]      job.transfer_ladder for recipe 'transfer'

---@class cod.experiments.Cell
---@field ok boolean
---@field prediction? number
---@field subset_prediction? number
---@field fe? number        final error, points
---@field ee? number        extrapolation error, points
---@field tr? number        predictable ratio, percent
---@field iad? number
---@field outlier_rate? number
---@field clusters? integer
---@field extrapolatable? integer
---@field fallback? string  the fallback recipe that made the prediction
---@field reason? string

local function cell_of(res)
  local c = {
    ok = res.ok and res.prediction ~= nil,
    prediction = res.prediction,
    subset_prediction = res.subset_prediction,
    fe = res.fe,
    ee = res.ee,
    fallback = res.fallback and res.fallback.recipe or nil,
    reason = res.reason or (res.fallback and res.fallback.reason) or nil,
  }
  -- With a fallback, the cluster facts are the failed primary recipe's (its TR is 0).
  local src = res.primary or res
  c.tr = src.predictable_ratio and 100 * src.predictable_ratio or nil
  if src.clustering then
    c.iad = src.clustering.iad
    c.outlier_rate = src.clustering.outlier_rate
  end
  if src.clusters then
    c.clusters = #src.clusters
    local n = 0
    for _, cl in ipairs(src.clusters) do
      if cl.extrapolatable then n = n + 1 end
    end
    c.extrapolatable = n
  end
  return c
end

---@class cod.experiments.Row
---@field set string
---@field items integer
---@field actual? number
---@field skipped? string
---@field results table<string, cod.experiments.Cell>

--- Run every recipe of `runs` on every set of `entry` (one job per set, shared by the recipes).
--- Sets without the target are skipped (row.skipped says why); recipes that raise give a
--- failed cell with the message. Scores-only sets run only baseline recipes.
---@param entry cod.experiments.Entry
---@param runs cod.experiments.Run[]
---@param o? table  options (for progress notes)
---@return cod.experiments.Row[]
function M.run(entry, runs, o)
  local predict = require("cod.predict")
  local recipes = require("cod.recipes")
  local rs = {}
  for i, r in ipairs(runs) do
    local rec = recipes.get(r.recipe)
    if not r.fallback and rec.fallback then rec = rec:with({ fallback = false }) end
    rs[i] = rec
  end
  local rows = {}
  local t0 = sys.clock()
  for _, set in ipairs(entry.sets) do
    local row = { set = set, items = #entry.ds:items(set), results = {} }
    local sel, why = M.set_selection(entry, set)
    if not sel then
      row.skipped = why
    else
      local job
      if row.items > 0 then
        local base = predict.base(entry.ds, set, sel, {})
        job = predict.job(entry.ds, set, sel, { base = base })
      else
        job = require("cod.backtest").score_job(entry.ds, set, sel)
      end
      row.actual = job.actual
      for i, r in ipairs(runs) do
        local rec = rs[i]
        if row.items == 0 and rec.kind ~= "baseline" then
          row.results[r.key] = { ok = false, reason = "the set has no items (scores only)", not_applicable = true }
        else
          job.transfer_ladder = r.transfer_ladder
          local ok, res = pcall(rec.run, rec, job)
          job.transfer_ladder = nil
          row.results[r.key] = ok and cell_of(res) or { ok = false, reason = tostring(res) }
        end
      end
    end
    rows[#rows + 1] = row
  end
  if o then M.note(o, "%s: %d sets x %d recipes in %.2f s", entry.name, #rows, #runs, sys.clock() - t0) end
  return rows
end

--- Mean, max and count of the finite numbers among `values` (nil and NaN skipped).
---@param values (number|nil)[]
---@param n? integer  length of `values` when it has holes
---@return {mean: number, max: number, n: integer}|nil
function M.stats(values, n)
  local sum, max, k = 0, -math.huge, 0
  for i = 1, n or #values do
    local v = values[i]
    if type(v) == "number" and v == v then
      sum = sum + v
      k = k + 1
      if v > max then max = v end
    end
  end
  if k == 0 then return nil end
  return { mean = sum / k, max = max, n = k }
end

--- One field of one run over the rows that were not skipped: {values, n (sets), ok (predictions)}.
---@param rows cod.experiments.Row[]
---@param key string
---@param field string
---@return (number|nil)[] values, integer n, integer predicted
function M.column(rows, key, field)
  local vals, n, ok = {}, 0, 0
  for _, row in ipairs(rows) do
    local c = not row.skipped and row.results[key] or nil
    if c and not c.not_applicable then
      n = n + 1
      vals[n] = c[field]
      if c.ok then ok = ok + 1 end
    end
  end
  return vals, n, ok
end

--- Means over sets of one run (the rows of Tables 3, 4 and A1).
---@param rows cod.experiments.Row[]
---@param key string
---@return {ee?: number, fe?: number, tr?: number, iad?: number, outlier_rate?: number, sets: integer, ok: integer}
function M.means(rows, key)
  local out = {}
  local n, ok
  for _, f in ipairs({ "ee", "fe", "tr", "iad", "outlier_rate" }) do
    local vals, k, good = M.column(rows, key, f)
    n, ok = k, good
    local s = M.stats(vals, k)
    out[f] = s and s.mean or nil
  end
  out.sets, out.ok = n or 0, ok or 0
  return out
end

-- ------------------------------------------------------------------ tables

--- Lines saying which sets were skipped and why, one line per reason.
---@param rows cod.experiments.Row[]
---@return string[]
function M.skipped_lines(rows)
  local by, order = {}, {}
  for _, row in ipairs(rows) do
    if row.skipped then
      if not by[row.skipped] then
        by[row.skipped] = {}
        order[#order + 1] = row.skipped
      end
      local t = by[row.skipped]
      t[#t + 1] = row.set
    end
  end
  local out = {}
  for _, why in ipairs(order) do
    local sets = by[why]
    out[#out + 1] = ("  %d set%s skipped (%s): %s"):format(#sets, #sets == 1 and "" or "s", why,
      table.concat(sets, ", "))
  end
  return out
end

--- "%.2f" of a number, "-" for nil/NaN.
---@param v number|nil
---@param fmt? string
---@return string
function M.fmt(v, fmt)
  if type(v) ~= "number" or v ~= v then return "-" end
  return (fmt or "%.2f"):format(v)
end

--- A cell of a Table 1-like layout: FE with "*" when a fallback made it, "fail" without a prediction.
---@param c cod.experiments.Cell|nil
---@return string
function M.fe_cell(c)
  if c == nil or c.not_applicable then return "n/a" end
  if not c.fe then return "fail" end
  return ("%.2f"):format(c.fe) .. (c.fallback and "*" or "")
end

--- Format a table: columns {head, key, align = "left"|"right"}; rows are tables of strings by key;
--- a row with `rule = true` is a dashed line. Returns the text.
---@param columns {head: string, key: string, align?: string}[]
---@param rows table[]
---@return string
function M.format(columns, rows)
  local width = {}
  for i, c in ipairs(columns) do
    width[i] = #c.head
    for _, r in ipairs(rows) do
      if not r.rule then width[i] = math.max(width[i], #tostring(r[c.key] or "")) end
    end
  end
  local function line(get)
    local parts = {}
    for i, c in ipairs(columns) do
      local s = get(c)
      if c.align == "left" then
        parts[i] = s .. (" "):rep(width[i] - #s)
      else
        parts[i] = (" "):rep(width[i] - #s) .. s
      end
    end
    return (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  local total = 0
  for i = 1, #columns do total = total + width[i] end
  total = total + 2 * (#columns - 1)
  local out = { line(function(c) return c.head end), ("-"):rep(total) }
  for _, r in ipairs(rows) do
    if r.rule then
      out[#out + 1] = ("-"):rep(total)
    else
      out[#out + 1] = line(function(c) return tostring(r[c.key] or "") end)
    end
  end
  return table.concat(out, "\n") .. "\n"
end

--- The layout of Tables 3, 4 and A1: one row per variant, columns of means over sets.
--- `variants` are {key, label, text?}; `fields` are {field, head, fmt} over M.means.
--- Prints the table and returns the CSV rows ({dataset, variant, recipe, text, <field>..., sets, predicted}).
---@param title string
---@param entry cod.experiments.Entry
---@param rows cod.experiments.Row[]
---@param variants {key: string, label: string, recipe?: string, text?: string}[]
---@param fields {field: string, head: string, fmt: string}[]
---@return table[] csv_rows
function M.print_variants(title, entry, rows, variants, fields)
  local columns = { { head = "method", key = "label", align = "left" } }
  local with_text = false
  for _, v in ipairs(variants) do with_text = with_text or v.text ~= nil end
  if with_text then columns[#columns + 1] = { head = "definition", key = "text", align = "left" } end
  for _, f in ipairs(fields) do columns[#columns + 1] = { head = f.head, key = f.field } end
  columns[#columns + 1] = { head = "predicted", key = "predicted" }
  local shown, csv = {}, {}
  for _, v in ipairs(variants) do
    local m = M.means(rows, v.key)
    local r = { label = v.label, text = v.text, predicted = ("%d/%d"):format(m.ok, m.sets) }
    local c = { dataset = entry.name, variant = v.label, recipe = v.recipe or v.key, text = v.text, sets = m.sets,
      predicted = m.ok }
    for _, f in ipairs(fields) do
      r[f.field] = M.fmt(m[f.field], f.fmt)
      c[f.field] = m[f.field]
    end
    shown[#shown + 1] = r
    csv[#csv + 1] = c
  end
  print(("%s — %s"):format(title, entry.label))
  io.write(M.format(columns, shown))
  print("  EE, FE: means over the sets each method predicted ('predicted' counts them); other columns: over all sets")
  for _, line in ipairs(M.skipped_lines(rows)) do print(line) end
  print()
  return csv
end

-- ------------------------------------------------------------------ CSV

--- The CSV path of a run: --csv, else <out or .>/<script>.csv (the folder is created).
---@param o table
---@return string
function M.csv_path(o)
  if o.csv then return o.csv end
  local dir = o.out or "."
  if o.out then
    local ok, err = sys.mkdir(o.out)
    if not ok then errors.user(err) end
  end
  return dir .. "/" .. o.script .. ".csv"
end

--- Write rows (tables keyed by header names) as CSV; the file is written whole, then renamed
--- into place, so a failed run leaves no half table.
---@param path string
---@param header string[]
---@param rows table[]
function M.write_csv(path, header, rows)
  local tmp = path .. ".tmp-" .. sys.getpid()
  local f, err = io.open(tmp, "wb")
  if not f then errors.user(("cannot write %s: %s"):format(path, err)) end
  local lines = { table.concat(header, ",") }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, h in ipairs(header) do cells[i] = files.csv_field(r[h]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  local ok, rerr = os.rename(tmp, path)
  if not ok then
    os.remove(tmp)
    errors.user(("cannot write %s: %s"):format(path, rerr))
  end
end

return M
