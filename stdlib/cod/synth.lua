--- cod.synth: synthetic ladders with a known answer.
---
--- A ladder of models of log-spaced compute (plus a target and anchors) answers items
--- whose loss follows alpha·C^(-beta) + gamma (C in compute units); the pass probability
--- is cap·(guess + (1 − guess)·exp(−loss)) (+ per-model noise for noisy items), and pass
--- rates are sampled binomially with `trials` trials. The truth comes back with the data.
---
---   local synth = require("cod.synth")
---   local ds, truth = synth.ladder{seed = 1, sets = {{name = "s1", items = 2000}}}
---   print(truth.sets.s1.metric[#truth.models])   -- the target's expected metric
---
--- See docs/synth.md for every option and the truth table's layout.

local core = require("cod.core.synth")
local check = require("cod.check")

local M = {}

---@alias cod.synth.Range number|{[1]: number, [2]: number}

---@class cod.synth.KindRanges
---@field alpha? cod.synth.Range   loss scale (drawn log-uniformly)
---@field beta? cod.synth.Range    compute exponent
---@field gamma? cod.synth.Range   irreducible loss
---@field guess? cod.synth.Range   random-guess rate in [0, 1)
---@field cap? cod.synth.Range     maximum pass probability in [0, 1]
---@field noise? cod.synth.Range   sd of per-model noise on the probability

---@class cod.synth.Mix
---@field emergent? number
---@field non_emergent? number
---@field ceiling? number
---@field noisy? number
---@field zero? number

---@class cod.synth.SetSpec
---@field name? string                 default "set-<k>"
---@field items? integer               default: the call's `items` (1000)
---@field mix? cod.synth.Mix           replaces the call's mix; kinds not named get 0
---@field kinds? table<string, cod.synth.KindRanges>  merged over the call's kinds
---@field trials? integer              overrides the call's trials

---@class cod.synth.LadderOptions
---@field seed? integer                default 1
---@field models? integer              ladder size, default 8
---@field min_flops? number            default 1e18
---@field max_flops? number            default 1e21
---@field compute? number[]            explicit ladder compute (FLOPs, strictly increasing)
---@field tokens_per_param? number     D = r·N with C = 6·N·D, default 20
---@field target? boolean              default true
---@field target_factor? number        target compute / largest ladder compute, default 30
---@field target_flops? number         explicit target compute
---@field anchors? integer             default 0; placed log-evenly between ladder top and target
---@field anchor_flops? number[]       explicit anchor compute
---@field compute_unit? number         default 1e18
---@field trials? integer              default 100; 0 = exact probabilities; 1 = one 0/1 answer
---@field single_answer? boolean       same as trials = 1
---@field items? integer               default items per set, 1000
---@field mix? cod.synth.Mix           default mix of the sets
---@field kinds? table<string, cod.synth.KindRanges>  default parameter ranges of the sets
---@field sets? cod.synth.SetSpec[]    default: one set "synth"
---@field model_loss? false|{irreducible?: number, scale?: number, exponent?: number}

---@class cod.synth.SetTruth
---@field name string
---@field items integer
---@field trials integer               0 when the pass rates are exact
---@field metric number[]              per model (truth.models order): expected full-set metric
---@field kind_metric table<string, number[]>  per kind present, per model: expected metric over that kind's items
---@field counts table<string, integer>        items per kind
---@field kinds string[]               per item
---@field alpha number[]
---@field beta number[]
---@field gamma number[]
---@field guess number[]
---@field cap number[]
---@field noise number[]
---@field prob cod.Matrix              items × models: true pass probabilities

---@class cod.synth.Truth
---@field seed integer
---@field compute_unit number
---@field models string[]              dataset model order
---@field roles string[]               "ladder", "anchor", "target"
---@field compute number[]             compute in units of compute_unit
---@field set_names string[]           in dataset order
---@field sets table<string, cod.synth.SetTruth>

--- Generate a synthetic dataset and its truth.
---@param opts? cod.synth.LadderOptions
---@return cod.Dataset ds
---@return cod.synth.Truth truth
function M.ladder(opts)
  check.arg("ladder", 1, opts, "table?")
  local ds, truth = core.ladder(opts)
  return ds, truth
end

--- The default mix and parameter ranges per kind (fresh tables; edit and pass back freely).
---@return {mix: cod.synth.Mix, kinds: table<string, cod.synth.KindRanges>}
function M.defaults()
  return core.defaults()
end

--- The item kinds, in the engine's order.
---@return string[]
function M.kinds()
  return { "emergent", "non_emergent", "ceiling", "noisy", "zero" }
end

-- The sets of the paper-like preset: sizes, mixes, difficulty (alpha of the emergent-like
-- kinds) and guess rates loosely after the COD paper's benchmarks (generative sets guess 0;
-- multiple-choice-like sets guess 1/4 and 1/10). Not fitted to any real data.
local PAPER_SETS = {
  { name = "gsm8k_like", items = 1319,
    mix = { emergent = 0.80, non_emergent = 0.05, ceiling = 0.05, noisy = 0.05, zero = 0.05 } },
  { name = "math_like", items = 3000, alpha = { 4, 60 },
    mix = { emergent = 0.60, non_emergent = 0.05, ceiling = 0.10, noisy = 0.05, zero = 0.20 } },
  { name = "bbh_like", items = 2500,
    mix = { emergent = 0.60, non_emergent = 0.15, ceiling = 0.10, noisy = 0.10, zero = 0.05 } },
  { name = "triviaqa_like", items = 3000, alpha = { 1.5, 20 },
    mix = { emergent = 0.75, non_emergent = 0.10, ceiling = 0.10, noisy = 0.03, zero = 0.02 } },
  { name = "mbpp_like", items = 1000, alpha = { 3, 40 },
    mix = { emergent = 0.70, non_emergent = 0.05, ceiling = 0.10, noisy = 0.05, zero = 0.10 } },
  { name = "agieval_like", items = 2500, guess = 0.25,
    mix = { emergent = 0.55, non_emergent = 0.20, ceiling = 0.10, noisy = 0.10, zero = 0.05 } },
  { name = "drop_like", items = 3000,
    mix = { emergent = 0.70, non_emergent = 0.10, ceiling = 0.10, noisy = 0.05, zero = 0.05 } },
  { name = "mmlu_pro_like", items = 3000, guess = 0.10, alpha = { 3, 40 },
    mix = { emergent = 0.60, non_emergent = 0.15, ceiling = 0.10, noisy = 0.10, zero = 0.05 } },
}

local PAPER_KEYS = { seed = "integer", trials = "integer", single_answer = "boolean", anchors = "integer",
  scale = "number", target_factor = "number", models = "integer" }

--- A paper-like dataset: 8 ladder models (1e18–1e21 FLOPs), a target at 30×, and 8 sets of
--- 1,000–3,000 items (about 19,000 in all) with varied mixes, sampled with 100 trials.
---@param opts? {seed?: integer, trials?: integer, single_answer?: boolean, anchors?: integer, scale?: number}  scale multiplies every set's item count (default 1)
---@return cod.Dataset ds
---@return cod.synth.Truth truth
function M.paper_like(opts)
  check.arg("paper_like", 1, opts, "table?")
  opts = check.options("paper_like", opts, PAPER_KEYS)
  local scale = check.number("paper_like", "scale", opts.scale or 1, { above = 0, finite = true })
  local sets = {}
  for i, s in ipairs(PAPER_SETS) do
    local spec = { name = s.name, items = math.max(1, math.floor(s.items * scale + 0.5)), mix = s.mix }
    if s.guess or s.alpha then
      local rising = { guess = s.guess, alpha = s.alpha }
      spec.kinds = { emergent = rising, ceiling = rising, noisy = rising, non_emergent = { guess = s.guess } }
    end
    sets[i] = spec
  end
  local trials = opts.trials
  if trials == nil and not opts.single_answer then trials = 100 end
  return core.ladder{
    seed = opts.seed or 1,
    models = opts.models or 8, min_flops = 1e18, max_flops = 1e21,
    target = true, target_factor = opts.target_factor or 30,
    anchors = opts.anchors or 0,
    trials = trials, single_answer = opts.single_answer,
    sets = sets,
  }
end

--- Write a generated ladder as an lm-evaluation-harness 0.4.x `--log_samples` folder of
--- multiple-choice logs: `<dir>/models.csv` and `<dir>/samples/<model>/samples_<set>_<date>.jsonl`
--- (string leaves, string target). Each item's gold choice gets the item's true pass probability
--- (with log-normal noise `noise`), so `choice_prob` tracks the truth; `acc` is lm-eval's argmax.
--- `dir` must be new or empty. Read it back with
--- `data.read{models = dir .. "/models.csv", lmeval = dir .. "/samples"}`.
---@param ds cod.Dataset      from synth.ladder
---@param truth cod.synth.Truth
---@param dir string
---@param opts? {seed?: integer, choices?: integer, noise?: number, date?: string}
---@return string[] files     every file written
---@return table<string, cod.Matrix> acc  per set: items × models acc as written
function M.lmeval(ds, truth, dir, opts)
  if type(truth) ~= "table" or type(truth.sets) ~= "table" then
    error(("bad argument #2 to 'lmeval' (synth truth table expected, got %s)"):format(type(truth)), 2)
  end
  if type(dir) ~= "string" then error(("bad argument #3 to 'lmeval' (string expected, got %s)"):format(type(dir)), 2) end
  local probs = {}
  for i, name in ipairs(truth.set_names) do probs[i] = truth.sets[name].prob end
  local files, acc = core.lmeval(ds, truth.set_names, probs, dir, opts)
  local by_set = {}
  for i, name in ipairs(truth.set_names) do by_set[name] = acc[i] end
  return files, by_set
end

--- Expected metric of `model` (name or 1-based index in truth.models) on `set`, over all
--- items or over the given 1-based item indices (e.g. a predictable subset).
---@param truth cod.synth.Truth
---@param set string
---@param model string|integer
---@param items? integer[]
---@return number
function M.metric(truth, set, model, items)
  if type(truth) ~= "table" or type(truth.sets) ~= "table" then
    check.arg_error("metric", 1, "synth truth table", truth)
  end
  local st = truth.sets[set]
  if st == nil then
    check.arg_fail("metric", 2, ("no set '%s'; sets: %s"):format(tostring(set), table.concat(truth.set_names, ", ")))
  end
  local j = model
  if type(model) == "string" then
    j = nil
    for k, name in ipairs(truth.models) do
      if name == model then j = k end
    end
    if j == nil then check.arg_fail("metric", 3, ("no model '%s'"):format(model)) end
  elseif math.type(model) ~= "integer" or model < 1 or model > #truth.models then
    check.arg_fail("metric", 3, ("model name or index in [1, %d] expected"):format(#truth.models))
  end
  if items == nil then return st.metric[j] end
  if type(items) ~= "table" or #items == 0 then
    check.arg_fail("metric", 4, "non-empty array of item indices expected")
  end
  local sum = 0
  for k, i in ipairs(items) do
    if math.type(i) ~= "integer" or i < 1 or i > st.items then
      check.arg_fail("metric", 4, ("element %d must be an index in [1, %d]"):format(k, st.items))
    end
    sum = sum + st.prob:get(i, j)
  end
  return sum / #items
end

return M
