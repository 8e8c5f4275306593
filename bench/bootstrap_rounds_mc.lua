--- Monte Carlo check of the cheaper bootstrap rounds (cod.bootstrap.round_recipe: the main
--- run's bandwidth R, bin seeding, the main run's fits as starts): the bootstrap's percentile
--- interval endpoints with exact rounds and with cheap rounds, for every set and several
--- bootstrap seeds, against the spread of the endpoints across seeds (the Monte Carlo error).
--- With --recipe cod the rounds are COD's alone (the recommendation weighs it with baselines
--- the change leaves alone). docs/bootstrap.md, "Monte Carlo check", has the tables this prints.
--- With --compare fits the two variants are the cheap rounds without (column "exact") and
--- with (column "cheap") the cheaper law fits (cod.bootstrap.round_fits); with --compare
--- only-bandwidth, only-bin-seeding or only-fits the cheap rounds make that one change alone.
---
--- Data: --items/--models or --data DIR (files), or --synth KIND generated in-process:
---   single  cod.synth.paper_like{single_answer = true, seed = --synth-seed} (0/1 answers, 8 sets)
---   large   cod.synth.ladder as bench/gen_predict_data.lua (100 trials) with --synth-sets sets
---           of --synth-items items (20,000: large-set mode, docs/cluster.md "Large sets")
---
--- Round b draws the same resample in both variants (random.new(seed, b)), so beside the
--- endpoints the script prints the paired per-round differences of the predictions.
---
--- Criterion (fixed 2026-11-30 before the single-answer and large-set runs): a set passes when
--- every endpoint's |difference / SD| <= 2 (SD: pooled spread of one seed's endpoint across
--- seeds; with 3 seeds the difference of the means has a standard error of ~0.8 SD), is
--- flagged at 2-3 (then the paired rounds decide), and fails above 3 -- or when the paired
--- rounds show a systematic shift (|t| > 4) larger than a quarter of the endpoints' SD.
---
---   codlua bench/bootstrap_rounds_mc.lua (--items F --models F | --data DIR | --synth single|large)
---          [--target M] [--sets A,B] [--rounds 100] [--seeds 1,2,3] [--threads 2] [--recipe auto|cod]
---          [--compare exact|fits|only-bandwidth|only-bin-seeding|only-fits] [--warm-everywhere]

local args = require("cod.args")
local sys = require("cod.core.sys")

local spec = {
  usage = "codlua bench/bootstrap_rounds_mc.lua (--items FILE --models FILE | --data DIR | --synth KIND) [options]",
  { "items", "FILE", "items CSV" },
  { "models", "FILE", "models CSV" },
  { "data", "DIR", "a data folder (items.csv + models.csv)" },
  { "synth", "KIND", "generated data: single (paper_like, 0/1 answers) or large (20,000-item sets, 100 trials)" },
  { "synth-seed", "N", "generator seed", number = true, integer = true, default = 1 },
  { "synth-items", "N", "items per set (--synth large)", number = true, integer = true, min = 1, default = 20000 },
  { "synth-sets", "N", "sets (--synth large)", number = true, integer = true, min = 1, default = 2 },
  { "target", "MODEL", "target model (default: the models CSV's role 'target')" },
  { "sets", "S1,...", "only these sets", list = true },
  { "compute-unit", "FLOPS", "unit of compute", number = true, default = 1e18 },
  { "rounds", "N", "bootstrap rounds", number = true, integer = true, default = 100 },
  { "seeds", "S1,...", "bootstrap seeds", list = true, default = { "1", "2", "3" } },
  { "threads", "N", "workers", number = true, integer = true, default = 2 },
  { "recipe", "NAME", "the headline (auto: the recommendation; cod: the rounds are COD's alone)", default = "auto" },
  { "warm-everywhere", nil, "cheap rounds on every kind of data, also without trial counts (as before 2026-11-30 evening)" },
  { "compare", "WHAT", "exact: exact vs cheap rounds; fits: cheap rounds without vs with the cheaper fits",
    default = "exact" },
}
local o = args.parse_script(spec, arg, "bootstrap_rounds_mc.lua")

local function usage(msg)
  io.stderr:write("bootstrap_rounds_mc.lua: ", msg, "\n")
  os.exit(2)
end
-- Which of the round's changes the "cheap" variant makes (--compare only-*: that one alone, against exact rounds).
local only = { ["only-bandwidth"] = "bandwidth", ["only-bin-seeding"] = "bin_seeding", ["only-fits"] = "fits" }
if o.compare ~= "exact" and o.compare ~= "fits" and not only[o.compare] then
  usage("--compare must be exact, fits, only-bandwidth, only-bin-seeding or only-fits")
end
local predict = require("cod.predict")
local bootstrap = require("cod.bootstrap")
require("cod.parallel").set_threads(o.threads)
if o.warm_everywhere then bootstrap.exact_rounds_reason = function() return nil end end

local ds
if o.synth == "single" then
  ds = require("cod.synth").paper_like({ single_answer = true, seed = o.synth_seed })
elseif o.synth == "large" then
  local sets = {}
  for k = 1, o.synth_sets do sets[k] = { name = "set-" .. k, items = o.synth_items } end
  ds = require("cod.synth").ladder({ seed = o.synth_seed, models = 8, min_flops = 1e18, max_flops = 1e21,
    anchors = 2, target_factor = 5, trials = 100, sets = sets })
elseif o.synth ~= nil then
  usage("--synth must be single or large")
else
  ds = require("cod.cli.common").load(o)
end

-- Each set's rounds' predictions as the run's intervals are made (paired by round b).
local capture
do
  local run_plans, intervals = bootstrap.run_plans, bootstrap.intervals
  local set_of
  function bootstrap.run_plans(plans, opts)
    set_of = {}
    for _, p in ipairs(plans) do set_of[p.base] = p.set end
    return run_plans(plans, opts)
  end
  function bootstrap.intervals(outcomes, opts, base)
    local preds = {}
    for b = 1, opts.bootstrap do preds[b] = outcomes[b] and outcomes[b].prediction or false end
    if capture and set_of and set_of[base] then capture[set_of[base]] = preds end
    return intervals(outcomes, opts, base)
  end
end

-- ends[variant][set] = {{lo, hi} per seed}; rounds_of[variant][set][seed] = the rounds' predictions;
-- seconds[variant] = wall time of the runs.
local ends, seconds, final = { exact = {}, cheap = {} }, { exact = 0, cheap = 0 }, { exact = {}, cheap = {} }
local rounds_of, modes = { exact = {}, cheap = {} }, {}
local sets
for _, variant in ipairs({ "cheap", "exact" }) do
  for si, seed in ipairs(o.seeds) do
    local t0 = sys.clock()
    bootstrap.round_fits = o.compare == "exact" or variant == "cheap"
    if only[o.compare] then
      bootstrap.round_bandwidth = only[o.compare] == "bandwidth"
      bootstrap.round_bin_seeding = only[o.compare] == "bin_seeding"
      bootstrap.round_fits = only[o.compare] == "fits"
    end
    capture = {}
    local rep = predict.run(ds, { bootstrap = o.rounds, seed = math.tointeger(tonumber(seed)), threads = o.threads,
      exact_rounds = o.compare ~= "fits" and variant == "exact", progress = false, recipe = o.recipe,
      target = o.target, sets = o.sets })
    seconds[variant] = seconds[variant] + sys.clock() - t0
    sets = {}
    for _, s in ipairs(rep.sets) do
      sets[#sets + 1] = s.name
      ends[variant][s.name] = ends[variant][s.name] or {}
      final[variant][s.name] = final[variant][s.name] or {}
      rounds_of[variant][s.name] = rounds_of[variant][s.name] or {}
      table.insert(ends[variant][s.name], s.bootstrap.interval)
      table.insert(final[variant][s.name], s.interval)
      rounds_of[variant][s.name][si] = capture[s.name]
      modes[s.name] = s.clustering and s.clustering.mode or modes[s.name]
    end
  end
end

local function mean_sd(v)
  local m = 0
  for _, x in ipairs(v) do m = m + x end
  m = m / #v
  local ss = 0
  for _, x in ipairs(v) do ss = ss + (x - m) ^ 2 end
  return m, #v > 1 and math.sqrt(ss / (#v - 1)) or 0
end

local function column(list, k)
  local out = {}
  for i, e in ipairs(list) do out[i] = e[k] end
  return out
end

print(("compare %s, recipe %s, %d rounds, seeds %s, %d workers; bootstrap interval endpoints in points " ..
  "(mean over seeds ± SD across seeds)"):format(o.compare, o.recipe, o.rounds, table.concat(o.seeds, ","), o.threads))
if o.compare == "fits" then
  print("| set | end | without | with the cheaper fits | difference | difference / SD | final interval end: without | with |")
else
  print("| set | end | exact rounds | cheap rounds | difference | difference / SD | final interval end: exact | cheap |")
end
print("|---|---|---|---|---|---|---|---|")
local worst = 0
for _, name in ipairs(sets) do
  for k, label in ipairs({ "low", "high" }) do
    local me, se = mean_sd(column(ends.exact[name], k))
    local mc, sc = mean_sd(column(ends.cheap[name], k))
    local fe = mean_sd(column(final.exact[name], k))
    local fc = mean_sd(column(final.cheap[name], k))
    local sd = math.sqrt((se ^ 2 + sc ^ 2) / 2)
    local z = sd > 0 and (mc - me) / sd or 0
    worst = math.max(worst, math.abs(z))
    print(("| %s | %s | %.2f ± %.2f | %.2f ± %.2f | %+.2f | %+.1f | %.2f | %.2f |"):format(name, label, 100 * me,
      100 * se, 100 * mc, 100 * sc, 100 * (mc - me), z, 100 * fe, 100 * fc))
  end
end
print(("largest |difference / SD|: %.1f; wall seconds of the runs: exact %.1f, cheap %.1f"):format(worst,
  seconds.exact, seconds.cheap))

-- Paired rounds: cheap − exact prediction of the same round b (same resample), over seeds.
print()
print("paired rounds (cheap − exact, points): rounds both predicted, equal to 1e-9, mean ± SD, t = mean / SE, " ..
  "largest |difference|; clustering mode of the main run")
print("| set | rounds | equal | mean | SD | t | largest | failed exact / cheap | mode |")
print("|---|---|---|---|---|---|---|---|---|")
for _, name in ipairs(sets) do
  local d, equal, failed_e, failed_c, largest = {}, 0, 0, 0, 0
  for si = 1, #o.seeds do
    local pe, pc = rounds_of.exact[name][si] or {}, rounds_of.cheap[name][si] or {}
    for b = 1, o.rounds do
      if not pe[b] then failed_e = failed_e + 1 end
      if not pc[b] then failed_c = failed_c + 1 end
      if pe[b] and pc[b] then
        local x = 100 * (pc[b] - pe[b])
        d[#d + 1] = x
        if math.abs(x) < 1e-7 then equal = equal + 1 end
        largest = math.max(largest, math.abs(x))
      end
    end
  end
  local m, s = 0, 0
  if #d > 0 then m, s = mean_sd(d) end
  local t = s > 0 and m / (s / math.sqrt(#d)) or 0
  print(("| %s | %d | %d | %+.3f | %.3f | %+.1f | %.2f | %d / %d | %s |"):format(name, #d, equal, m, s, t, largest,
    failed_e, failed_c, modes[name] or "-"))
end
