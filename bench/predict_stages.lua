--- Where the time of `codlua predict` goes: the same work as the command (read the files,
--- predict every set with the candidates' backtests, optional bootstrap, write the report
--- folder), run in-process with every pipeline stage, backtest, bootstrap and report step timed
--- by wrapping the module functions (cod.core.sys.clock, wall time), on one worker (the
--- engine's own threads still run). See bench/README.md,
--- "Prediction end to end".
---
---   codlua bench/predict_stages.lua (--data DIR | --items F --models F) [--target M] [--out DIR]
---          [--candidates R1,...] [--bootstrap N] [--sets S1,...] [--recipe auto|NAME]
---          [--backtest-bin-seeding] [--threads N]

local args = require("cod.args")
local sys = require("cod.core.sys")
local clock = sys.clock

local spec = {
  usage = "codlua bench/predict_stages.lua (--data DIR | --items FILE --models FILE) [options]",
  { "data", "DIR", "dataset folder" },
  { "items", "FILE", "items CSV" },
  { "models", "FILE", "models CSV" },
  { "scores", "FILE", "scores CSV" },
  { "compute-unit", "FLOPS", "unit of compute", number = true, default = 1e18 },
  { "target", "MODEL", "target model" },
  { "recipe", "NAME", "recipe (auto: the recommendation)", default = "auto" },
  { "sets", "S1,...", "sets", list = true },
  { "bootstrap", "N", "bootstrap rounds", number = true, integer = true, default = 0 },
  { "candidates", "R1,...", "candidate recipes (default: cod.recommend's)", list = true },
  { "out", "DIR", "write the report here (removed first)" },
  { "backtest-bin-seeding", nil, "the backtest cuts' Improved MeanShift uses bin seeding (predict.run's option)" },
  { "threads", "N", "workers (default 1: stages timed in worker processes are not counted)", number = true,
    integer = true, default = 1 },
}
local o = args.parse_script(spec, arg, "predict_stages.lua")

-- Accumulated seconds and calls per key; `phase` prefixes stage keys (main, backtest, bootstrap).
local acc, calls, order = {}, {}, {}
local phase = "main"
local function add(key, dt)
  if not acc[key] then
    acc[key] = 0
    calls[key] = 0
    order[#order + 1] = key
  end
  acc[key] = acc[key] + dt
  calls[key] = calls[key] + 1
end
local function timed(key, fn)
  return function(...)
    local t0 = clock()
    local r = table.pack(fn(...))
    add(type(key) == "function" and key(...) or key, clock() - t0)
    return table.unpack(r, 1, r.n)
  end
end

local pipeline = require("cod.pipeline")
for name, fn in pairs(pipeline.stages) do
  pipeline.stages[name] = timed(function(_, _, opts)
    local k = name
    if name == "cluster" then k = "cluster:" .. (opts.labels and "labels" or (opts.method or "improved_meanshift")) end
    if name == "e2e" then k = "e2e:" .. tostring(opts.form or "cod") end
    return phase .. " / " .. k
  end, fn)
end

local predict = require("cod.predict")
local function in_phase(p, fn)
  return function(...)
    local saved = phase
    phase = p
    local t0 = clock()
    local r = table.pack(fn(...))
    add(p .. " (total)", clock() - t0)
    phase = saved
    return table.unpack(r, 1, r.n)
  end
end
-- A set's full-set tasks (cod.precluster) and its backtest cuts run in one map: the phase is
-- "backtest" inside a cut's task, "main" elsewhere; the cuts' total is the maps' time less
-- the precluster tasks'.
local recommend = require("cod.recommend")
local backtest = recommend.backtest
recommend.backtest = function(make_job, cands, tasks, map)
  return backtest(make_job, cands, tasks, function(list, fn)
    return map(list, function(t, i)
      phase = "backtest"
      local r = fn(t, i)
      phase = "main"
      return r
    end)
  end)
end
local precluster = require("cod.precluster")
precluster.run_task = in_phase("main", precluster.run_task)
local parallel = require("cod.parallel")
parallel.map = timed("tasks (total: main + backtest)", parallel.map)
local bootstrap = require("cod.bootstrap")
bootstrap.round = in_phase("bootstrap", bootstrap.round)
predict.base = timed("predict.base (per-set data)", predict.base)
predict.job = timed(function() return phase .. " / predict.job" end, predict.job)
local warnings = require("cod.warnings")
warnings.for_set = timed("warnings (cod.warnings.for_set)", warnings.for_set)
pipeline.summarise = timed(function() return phase .. " / summarise (IAD, result table)" end, pipeline.summarise)

local report = require("cod.report")
local plot = require("cod.plot")
plot.render_in = timed("report: plots' data and scripts", plot.render_in)
local new_batch = plot.batch
plot.batch = function()
  local b = new_batch()
  b.run = timed("report: plots (one gnuplot run)", getmetatable(b).run)
  return b
end
report.to_json = timed("report: JSON", report.to_json)

local t_all = clock()
local t0 = clock()
local ds = require("cod.cli.common").load(o)
add("read files", clock() - t0)

t0 = clock()
local rep = predict.run(ds, { target = o.target, recipe = o.recipe, sets = o.sets, bootstrap = o.bootstrap,
  candidates = o.candidates, progress = false, backtest_bin_seeding = o.backtest_bin_seeding or nil,
  threads = o.threads })  -- 1: in-process (stages timed in worker processes would not be counted here)
add("predict.run (total)", clock() - t0)

t0 = clock()
local text = report.table(rep)
add("report: console table", clock() - t0)
if o.out then
  sys.remove_tree(o.out)
  t0 = clock()
  report.write(rep, o.out)
  add("report.write (total)", clock() - t0)
end
local total = clock() - t_all
if acc["tasks (total: main + backtest)"] then
  add("backtest (total)", acc["tasks (total: main + backtest)"] - (acc["main (total)"] or 0))
end

io.stdout:write(text)
local items = 0
for _, s in ipairs(rep.sets) do items = items + s.items end
print(("\n%d sets, %d items, ladder %d models, recipe %s, candidates %s, bootstrap %d"):format(#rep.sets, items,
  #rep.ladder, rep.recipe, table.concat(rep.settings.candidates, ","), o.bootstrap))
print(("%-52s %9s %7s %6s"):format("step", "seconds", "share", "calls"))
for _, k in ipairs(order) do
  print(("%-52s %9.3f %6.1f%% %6d"):format(k, acc[k], 100 * acc[k] / total, calls[k]))
end
print(("%-52s %9.3f"):format("whole run (in-process)", total))
