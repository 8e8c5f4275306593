--- Measures the recommendation and its 90% intervals (docs/recommend.md) on synthetic
--- ladders with known truth: for each setting and seed, `codlua predict` (recipe auto) on
--- the generated data, then per set every candidate's FE, the recommendation's FE and
--- whether the interval covers the target's actual score.
---
---   codlua bench/recommend_eval.lua [--seeds N] [--scale S] [--settings a,b,...] [--out FILE.json]
---
--- Settings: paper (paper_like, target at 5x, 2 anchors: like examples/synthetic), paper30
--- (target at 30x), hard (ceiling, noisy and non-emergent items, 20 trials), single (0/1
--- answers: BIG-G-like). The records (one per set) go to --out for further analysis.

local args = require("cod.args")
local synth = require("cod.synth")
local predict = require("cod.predict")
local json = require("cod.json")

local spec = {
  usage = "codlua bench/recommend_eval.lua [options]",
  { "seeds", "N", "seeds per setting", number = true, integer = true, default = 3 },
  { "first-seed", "S", "first seed", number = true, integer = true, default = 101 },
  { "scale", "S", "item-count scale of paper-like sets", number = true, default = 0.25 },
  { "settings", "A,B", "settings to run", list = true },
  { "trials", "N", "trials per item of the paper-like settings (0: exact pass rates; default 100)", number = true,
    integer = true },
  { "bootstrap", "N", "bootstrap rounds", number = true, integer = true, default = 0 },
  { "out", "FILE", "write the per-set records here (JSON)" },
  { "candidates", "A,B", "candidate recipes (as codlua predict --candidates)", list = true },
  { "targets", "N", "backtest targets (cod.recommend.targets)", number = true, integer = true },
  { "lower-cuts", "N", "cuts below the lower targets (cod.recommend.lower_cuts)", number = true, integer = true },
  { "backtest-bin-seeding", nil, "the backtest cuts' Improved MeanShift uses bin seeding (predict.run's backtest_bin_seeding)" },
}
local o, rest = args.parse(spec, { ... })
if not o then error(rest, 0) end

local recommend = require("cod.recommend")
recommend.targets = o.targets or recommend.targets
recommend.lower_cuts = o.lower_cuts or recommend.lower_cuts

local HARD_MIX = { emergent = 0.35, non_emergent = 0.15, ceiling = 0.25, noisy = 0.2, zero = 0.05 }

local settings = {
  paper = function(seed)
    return synth.paper_like({ seed = seed, scale = o.scale, anchors = 2, target_factor = 5, trials = o.trials })
  end,
  paper30 = function(seed)
    return synth.paper_like({ seed = seed, scale = o.scale, target_factor = 30, trials = o.trials })
  end,
  hard = function(seed)
    local sets = {}
    for k = 1, 6 do
      sets[k] = { name = "hard-" .. k, items = math.floor(2000 * o.scale * 2),
        kinds = { noisy = { noise = { 0.1, 0.25 } }, ceiling = { cap = { 0.2, 0.6 } } } }
    end
    return synth.ladder({ seed = seed, models = 8, target_factor = 10, trials = 20, mix = HARD_MIX, sets = sets })
  end,
  single = function(seed)
    return synth.paper_like({ seed = seed, scale = o.scale, single_answer = true, target_factor = 5 })
  end,
}
-- The target's expected score on a set (the generator's truth, before sampling): the part of
-- a headline's error that no prediction from the ladder can remove is actual - expected.
local function expected_at_target(truth, set)
  if not truth then return nil end
  for j, role in ipairs(truth.roles) do
    if role == "target" then return truth.sets[set].metric[j] end
  end
end

local order = o.settings or { "paper", "paper30", "hard", "single" }

local records = {}
for _, name in ipairs(order) do
  local make = settings[name]
  if not make then error("unknown setting " .. name, 0) end
  for seed = o.first_seed, o.first_seed + o.seeds - 1 do
    local ds, truth = make(seed)
    local t0 = os.clock()
    local rep = predict.run(ds, { bootstrap = o.bootstrap, seed = 1, progress = false,
      candidates = o.candidates, backtest_bin_seeding = o.backtest_bin_seeding or nil })
    local secs = os.clock() - t0
    for _, s in ipairs(rep.sets) do
      local rec = { setting = name, seed = seed, set = s.name, actual = s.actual, recipe = s.recipe,
        single_answer = s.single_answer, items = truth and truth.sets[s.name].items, expected = expected_at_target(truth, s.name),
        prediction = s.prediction, fe = s.fe, interval = s.interval, distance = s.distance,
        boot = s.bootstrap and s.bootstrap.interval or nil, candidates = {}, seconds = secs / #rep.sets,
        combo_rate = s.recommendation and s.recommendation.rate, combo_errors = s.recommendation and
        s.recommendation.errors }
      for _, c in ipairs(s.candidates) do
        rec.candidates[#rec.candidates + 1] = { recipe = c.recipe, prediction = c.prediction, fe = c.fe,
          rate = c.backtest.rate, mean_abs = c.backtest.mean_abs, errors = c.backtest.errors }
      end
      records[#records + 1] = rec
    end
    io.stderr:write(("%s seed %d: %.1f s CPU\n"):format(name, seed, secs))
  end
end

-- Summary: per setting, mean/max FE of each candidate and of the headline; interval coverage.
local function stats(v)
  local s, m = 0, 0
  for _, x in ipairs(v) do
    s = s + x
    m = math.max(m, x)
  end
  return #v > 0 and s / #v or 0 / 0, m
end
for _, name in ipairs(order) do
  local fe = { auto = {} }
  local names = {}
  local covered, n, width = 0, 0, 0
  for _, r in ipairs(records) do
    if r.setting == name then
      fe.auto[#fe.auto + 1] = r.fe
      for _, c in ipairs(r.candidates) do
        if not fe[c.recipe] then
          fe[c.recipe] = {}
          names[#names + 1] = c.recipe
        end
        fe[c.recipe][#fe[c.recipe] + 1] = c.fe or 100
      end
      if r.interval then
        n = n + 1
        width = width + 100 * (r.interval[2] - r.interval[1])
        if r.actual >= r.interval[1] and r.actual <= r.interval[2] then covered = covered + 1 end
      end
    end
  end
  local line = ("%-8s"):format(name)
  table.insert(names, 1, "auto")
  for _, c in ipairs(names) do
    local mean, max = stats(fe[c])
    line = line .. ("  %s %.2f/%.2f"):format(c, mean, max)
  end
  print(line)
  print(("%-8s  coverage %d/%d = %.0f%%, mean width %.2f points"):format("", covered, n, 100 * covered / math.max(n, 1),
    width / math.max(n, 1)))
end
if o.out then json.write_file(o.out, records) end
