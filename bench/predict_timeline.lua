--- The caller's timeline of a whole `codlua predict` run, workers and all: when each map of
--- tasks starts and ends, each task's span and worker (process id), and the caller's own
--- steps between (summarise, report, gnuplot), wall seconds since the start; then the time
--- in maps, in gnuplot (from its batch's start, when charts begin to go to it, to the end of its
--- finish), and the caller alone (neither: one core idle on two). See bench/README.md,
--- "Prediction end to end".
---
---   codlua bench/predict_timeline.lua PREDICT-ARGS...      (e.g. --data DIR --out DIR --threads 2)

local sys = require("cod.core.sys")
local t0 = sys.clock()
local function log(what) io.stderr:write(("%7.3f %s\n"):format(sys.clock() - t0, what)) end

local in_maps, map_started, in_gnuplot = 0, nil, 0
local parallel = require("cod.parallel")
local map = parallel.map
parallel.map = function(tasks, fn, opts)
  log(("map of %d tasks starts"):format(#tasks))
  map_started = sys.clock()
  local out = map(tasks, function(t, i)
    local a = sys.clock()
    local r = fn(t, i)
    local b = sys.clock()
    io.stderr:write(("%7.3f   task %d in process %d: %.3f .. %.3f\n"):format(b - t0, i, sys.getpid(), a - t0, b - t0))
    return r
  end, opts)
  in_maps = in_maps + sys.clock() - map_started
  log("map ends")
  return out
end
local function wrap(mod, name, label)
  local f = mod[name]
  mod[name] = function(...)
    log(label .. " starts")
    local r = table.pack(f(...))
    log(label .. " ends")
    return table.unpack(r, 1, r.n)
  end
end
wrap(require("cod.report"), "summarise", "report.summarise")
wrap(require("cod.report"), "write", "report.write")
local plot = require("cod.plot")
local prewarm = plot.prewarm
if prewarm then
  plot.prewarm = function(...)
    log("gnuplot prewarm starts")
    prewarm(...)
    log("gnuplot prewarm started")
  end
end
-- gnuplot's span: from the batch's start (its processes get charts as they are written) to
-- the end of its finish (the caller writes the tables in between). An older stdlib's batch
-- has only run(): its span.
local Batch = getmetatable(plot.batch())
local start, finish, run, started = Batch.start, Batch.finish, Batch.run, nil
local function began(what)
  log(what)
  started = sys.clock()
end
local function ended()
  if started then in_gnuplot = in_gnuplot + sys.clock() - started end
  started = nil
  log("gnuplot ends")
end
if start then
  Batch.start = function(...)
    began("gnuplot batch starts")
    return start(...)
  end
  Batch.finish = function(...)
    log("gnuplot batch: waiting")
    finish(...)
    ended()
  end
else
  Batch.run = function(...)
    began("gnuplot starts")
    run(...)
    ended()
  end
end
local status = require("cod.cli.predict").run({ ... })
local total = sys.clock() - t0
log(("end: %.3f s: maps %.3f s, gnuplot %.3f s, the caller alone %.3f s"):format(total, in_maps, in_gnuplot,
  total - in_maps - in_gnuplot))
os.exit(status)
