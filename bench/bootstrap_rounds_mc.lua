--- Monte Carlo check of the cheaper bootstrap rounds (cod.bootstrap.round_recipe: the main
--- run's bandwidth R and bin seeding): the bootstrap's percentile interval endpoints with
--- exact rounds and with cheap rounds, for every set and several bootstrap seeds, against
--- the spread of the endpoints across seeds (the Monte Carlo error). With --recipe cod the
--- rounds are COD's alone (the recommendation weighs it with baselines the change leaves alone). docs/recommend.md,
--- "Bootstrap rounds", has the table this prints. With --compare fits the two variants are
--- the cheap rounds without (column "exact") and with (column "cheap") the cheaper law fits
--- (the main run's fits as starts, fewer local runs; cod.bootstrap.round_fits).
---
---   codlua bench/bootstrap_rounds_mc.lua --items F --models F [--rounds 100] [--seeds 1,2,3] [--threads 2]
---          [--compare exact|fits]

local args = require("cod.args")
local sys = require("cod.core.sys")

local spec = {
  usage = "codlua bench/bootstrap_rounds_mc.lua --items FILE --models FILE [options]",
  { "items", "FILE", "items CSV" },
  { "models", "FILE", "models CSV" },
  { "compute-unit", "FLOPS", "unit of compute", number = true, default = 1e18 },
  { "rounds", "N", "bootstrap rounds", number = true, integer = true, default = 100 },
  { "seeds", "S1,...", "bootstrap seeds", list = true, default = { "1", "2", "3" } },
  { "threads", "N", "workers", number = true, integer = true, default = 2 },
  { "recipe", "NAME", "the headline (auto: the recommendation; cod: the rounds are COD's alone)", default = "auto" },
  { "compare", "WHAT", "exact: exact vs cheap rounds; fits: cheap rounds without vs with the cheaper fits",
    default = "exact" },
}
local o = args.parse_script(spec, arg, "bootstrap_rounds_mc.lua")

if o.compare ~= "exact" and o.compare ~= "fits" then
  io.stderr:write("--compare must be exact or fits\n")
  os.exit(2)
end
local predict = require("cod.predict")
local bootstrap = require("cod.bootstrap")
local ds = require("cod.cli.common").load(o)

-- ends[variant][set] = {{lo, hi} per seed}; seconds[variant] = wall time of the rounds' runs.
local ends, seconds, final = { exact = {}, cheap = {} }, { exact = 0, cheap = 0 }, { exact = {}, cheap = {} }
local sets
for _, variant in ipairs({ "cheap", "exact" }) do
  for _, seed in ipairs(o.seeds) do
    local t0 = sys.clock()
    bootstrap.round_fits = o.compare == "exact" or variant == "cheap"
    local rep = predict.run(ds, { bootstrap = o.rounds, seed = math.tointeger(tonumber(seed)), threads = o.threads,
      exact_rounds = o.compare == "exact" and variant == "exact", progress = false, recipe = o.recipe })
    seconds[variant] = seconds[variant] + sys.clock() - t0
    sets = {}
    for _, s in ipairs(rep.sets) do
      sets[#sets + 1] = s.name
      ends[variant][s.name] = ends[variant][s.name] or {}
      final[variant][s.name] = final[variant][s.name] or {}
      table.insert(ends[variant][s.name], s.bootstrap.interval)
      table.insert(final[variant][s.name], s.interval)
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

print(("compare %s, recipe %s, %d rounds, seeds %s; bootstrap interval endpoints in points (mean over seeds ± SD across seeds)")
  :format(o.compare, o.recipe, o.rounds, table.concat(o.seeds, ",")))
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
