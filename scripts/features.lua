-- scripts/features.lua: COD on the logs people actually have (SPEC §14; docs/features.md).
-- Backtests, FE in points, for single-answer data:
--   * BIG-G (data/bigbench-bigg, sets A and B, 0/1 correctness): 27b from <= 8b, 128b from <= 27b;
--   * pythia-arith reduced to single answers (one Bernoulli draw per item and model from its
--     pass rate, seeds 1..S): the largest model from the ones below it;
--   * a generated lm-eval 0.4.x multiple-choice ladder (synth.lmeval, seeds 1..S) read back from
--     its --log_samples folder, with --feature metric (acc) and choice_prob.
-- Prints one markdown table per dataset (Mean and Max rows) and writes them to --csv.
--
--   codlua scripts/features.lua [--seeds 3] [--items 2000] [--target-factor 5] [--csv features.csv]

local args = require("cod.args")
local backtest = require("cod.backtest")
local data = require("cod.data")
local files = require("cod.files")
local synth = require("cod.synth")
local random = require("cod.core.random")
local matrix = require("cod.core.matrix")

local spec = {
  usage = "codlua scripts/features.lua [options]",
  { "seeds", "S", "seeds for the resampled and generated ladders", number = true, integer = true, default = 3 },
  { "items", "N", "items per generated set", number = true, integer = true, default = 2000 },
  { "target-factor", "F", "generated ladders: target compute / largest ladder compute", number = true, default = 5 },
  { "recipes", "R1,...", "recipes compared", list = true },
  { "csv", "FILE", "write the rows here", default = "features.csv" },
  { "tmp", "DIR", "scratch folder for the generated lm-eval logs (created, must not exist)" },
}
local o = args.parse_script(spec, arg, "features.lua")
local here = arg[0]:match("^(.*)/scripts/[^/]*$") or "."
local recipes = o.recipes or { "cod", "cod_irt", "irt_extrapolate", "e2e_exp", "e2e_passrate", "bnsl" }

local rows = {}
local function run(dataset, ds, opts)
  local bt = backtest.run(ds, { target = opts.target, recipes = recipes, feature = opts.feature })
  for _, t in ipairs(bt.targets) do
    for _, s in ipairs(t.sets) do
      local row = { dataset = dataset, feature = opts.feature or "metric", target = t.target, set = s.name,
        actual = s.actual }
      for _, r in ipairs(recipes) do row[r] = s.results[r].fe end
      rows[#rows + 1] = row
    end
  end
end

-- pythia-arith with each pass rate replaced by one 0/1 answer drawn from it.
local function single_answers(ds, seed)
  local rng = random.new(seed)
  local sets = {}
  local models = ds:models()
  for _, name in ipairs(ds:sets()) do
    local P = ds:pass(name)
    local ones = {}
    for i = 1, P:rows() do
      local r = {}
      for j = 1, P:cols() do r[j] = 1 end
      ones[i] = r
    end
    sets[#sets + 1] = { name = name, items = ds:items(name), models = ds:set_models(name),
      pass = rng:resample_passrates(P, matrix.new(ones)) }
  end
  return data.from_tables({ models = models, sets = sets, compute_unit = ds:compute_unit() })
end

local bigg = data.load(here .. "/data/bigbench-bigg")
run("BIG-G", bigg, { target = "BIG-G_T0_27b" })
run("BIG-G", bigg, { target = "BIG-G_T0_128b" })
local arith = data.load(here .. "/data/pythia-arith")
for seed = 1, o.seeds do run("pythia-arith 0/1 seed " .. seed, single_answers(arith, seed), {}) end

local tmp = o.tmp or os.tmpname() .. ".d"
for seed = 1, o.seeds do
  local ds, truth = synth.ladder({ seed = seed, items = o.items, sets = { { name = "mc" } }, trials = 0,
    target_factor = o.target_factor })
  local dir = ("%s/seed%d"):format(tmp, seed)
  synth.lmeval(ds, truth, dir, { seed = seed })
  local lm = data.read({ models = dir .. "/models.csv", lmeval = dir .. "/samples" })
  run("synthetic lm-eval seed " .. seed, lm, { target = "synth-target" })
  run("synthetic lm-eval seed " .. seed, lm, { target = "synth-target", feature = "choice_prob" })
  run("synthetic lm-eval seed " .. seed, lm, { target = "synth-target", feature = "answer_prob" })
end

-- Tables: one per dataset family and feature, rows per (target, set), Mean and Max.
local function family(d) return (d:gsub(" seed %d+$", "")) end
local groups, order = {}, {}
for _, r in ipairs(rows) do
  local key = family(r.dataset) .. " | feature " .. r.feature
  if not groups[key] then
    groups[key] = {}
    order[#order + 1] = key
  end
  table.insert(groups[key], r)
end
for _, key in ipairs(order) do
  print("### " .. key)
  print()
  print("| data | target | set | actual | " .. table.concat(recipes, " | ") .. " |")
  print("|" .. ("---|"):rep(4 + #recipes))
  local cols = {}
  for _, r in ipairs(groups[key]) do
    local cells = {}
    for k, name in ipairs(recipes) do
      cells[k] = r[name] and ("%.2f"):format(r[name]) or "fail"
      cols[name] = cols[name] or {}
      if r[name] then table.insert(cols[name], r[name]) end
    end
    print(("| %s | %s | %s | %.4f | %s |"):format(r.dataset, r.target, r.set, r.actual or 0 / 0, table.concat(cells, " | ")))
  end
  for _, stat in ipairs({ "mean", "max" }) do
    local cells = {}
    for k, name in ipairs(recipes) do
      local st = files.stats(cols[name] or {})
      cells[k] = st and st[stat] and ("**%.2f**"):format(st[stat]) or "-"
    end
    print(("| **%s** | | | | %s |"):format(stat == "mean" and "Mean" or "Max", table.concat(cells, " | ")))
  end
  print()
end

local header = { "dataset", "feature", "target", "set", "actual" }
for _, r in ipairs(recipes) do header[#header + 1] = r end
files.write_csv(o.csv, header, rows)
io.stderr:write("wrote ", o.csv, "; generated lm-eval logs in ", tmp, "\n")
