--- cod.parallel: run independent tasks on several cores and get their results in task
--- order, the same whatever the number of workers (docs/parallel.md).
---
---   local parallel = require("cod.parallel")
---   local squares = parallel.map({ 1, 2, 3 }, function(x) return x * x end)  -- {1, 4, 9}
---
--- Each worker is a forked copy of the calling process, so a task sees everything the caller
--- had loaded (data, recipes, registered methods, --sandbox limits). A task's result comes
--- back serialised exactly (numbers bit for bit; tables, strings, booleans, matrices); what a
--- task changes in its own copy of the world is not seen by the caller or by other tasks.
--- Inside a worker, maps run sequentially (the other workers already use the other cores).

local check = require("cod.check")
local core = require("cod.core.parallel")

local M = {}

--- The default number of workers: `set_threads`, else the number of cores (1 inside a worker).
---@return integer
function M.threads()
  return core.threads()
end

--- Set the default number of workers and cap the engine's own thread pools (`--threads N`).
---@param n integer   0 = the number of cores
function M.set_threads(n)
  core.set_threads(n)
end

--- True inside a worker process.
---@return boolean
function M.worker()
  return core.worker()
end

--- results[i] = fn(tasks[i], i) for every task, computed on up to `threads` worker processes.
--- An error in a task is raised here as it would be by a sequential loop (the lowest failing
--- task's error; a user error object keeps its type, a bug keeps the worker's traceback).
---@param tasks any[]
--- `idle()`, when given, is called once in the caller when a core is first left without a
--- task (the map's tail: a worker found none left; run here, before the last task), for work
--- that may use that core meanwhile, such as starting the report's gnuplot processes.
--- `cost(task, i)`, when given, estimates a task's run time: the tasks are then handed out
--- longest first (ties in task order), so that the last ones to end are short and no worker
--- waits long for another at the end. The results stay in task order; an error is then the
--- first failing task's in that order (the same whatever the number of workers).
---@param fn fun(task: any, i: integer): any   must return plain data (no functions or userdata other than matrices)
---@param opts? {threads?: integer, progress?: fun(done: integer, total: integer), idle?: fun(), cost?: fun(task: any, i: integer): number}
---@return any[] results
function M.map(tasks, fn, opts)
  check.arg("map", 1, tasks, "table")
  check.arg("map", 2, fn, "function")
  opts = check.options("map", opts, { threads = "integer?", progress = "function?", idle = "function?",
    cost = "function?" }, 3)
  check.integer("map", "threads", opts.threads, { min = 0, max = 256, optional = true })
  local threads = opts.threads or core.threads()
  if threads == 0 then threads = core.threads() end
  local progress, idle = opts.progress, opts.idle
  local n = #tasks
  -- order[j]: the task handed out j-th.
  local order = {}
  for i = 1, n do order[i] = i end
  if opts.cost then
    local cost = {}
    for i = 1, n do
      local c = opts.cost(tasks[i], i)
      if type(c) ~= "number" or c ~= c then error(("map: cost of task %d must be a number, got %s"):format(i, tostring(c)), 2) end
      cost[i] = c
    end
    table.sort(order, function(a, b)
      if cost[a] ~= cost[b] then return cost[a] > cost[b] end
      return a < b
    end)
  end
  if threads <= 1 or n <= 1 or core.worker() then
    local results = {}
    for j = 1, n do
      local i = order[j]
      if idle and j == n then idle() end
      results[i] = fn(tasks[i], i)
      if progress then progress(j, n) end
    end
    return results
  end
  local workers = math.min(threads, n, 256)
  local on_done = progress
  if idle then
    on_done = function(done, total)
      if idle and done > n - workers then  -- a worker found no task left
        local f = idle
        idle = nil
        f()
      end
      if progress then progress(done, total) end
    end
  end
  local out = core.map_indices(n, function(j) return fn(tasks[order[j]], order[j]) end, workers, on_done)
  if not opts.cost then return out end
  local results = {}
  for j = 1, n do results[order[j]] = out[j] end
  return results
end

--- Run fns[k](map) for every k and return their results in order, where `map(list, fn)` is
--- a parallel.map that does not run at once: each fns[k] runs in a coroutine that pauses at
--- its map, and the maps pending at that moment run together as one parallel.map (so a
--- worker is not left idle at the end of each small map). A fn may call map several times.
--- Errors are raised as by a sequential loop over fns (a bug keeps its traceback).
---@param fns (fun(map: fun(list: any[], fn: fun(task: any, i: integer): any): any[]): any)[]
--- `opts.cost(task)`, when given, estimates each task's run time as in map (longest first).
---@param opts? {threads?: integer, progress?: fun(done: integer, total: integer), idle?: fun(), cost?: fun(task: any): number}
---@return any[] results
function M.gather(fns, opts)
  check.arg("gather", 1, fns, "table")
  opts = check.options("gather", opts, { threads = "integer?", progress = "function?", idle = "function?",
    cost = "function?" }, 2)
  local cost = opts.cost
  local map_opts = { threads = opts.threads, progress = opts.progress, idle = opts.idle,
    cost = cost and function(t) return cost(t.task) end }
  local function traced(e)
    if type(e) == "string" then return debug.traceback(e, 2) end
    return e
  end
  local runs, results = {}, {}
  for k, f in ipairs(fns) do
    runs[k] = coroutine.create(function()
      return xpcall(f, traced, function(list, fn) return coroutine.yield(list, fn) end)
    end)
  end
  local pending = {}  -- k -> {list, fn} of a paused run
  local function step(k, ...)
    local resumed, a, b = coroutine.resume(runs[k], ...)
    if not resumed then error(a, 0) end
    if coroutine.status(runs[k]) == "dead" then  -- a, b: xpcall's status and value
      if not a then error(b, 0) end
      results[k] = b
    else  -- paused at map(a, b)
      pending[k] = { list = a, fn = b }
    end
  end
  for k in ipairs(runs) do step(k) end
  while next(pending) do
    local batch = {}
    for k = 1, #runs do
      local p = pending[k]
      if p then
        for i, task in ipairs(p.list) do batch[#batch + 1] = { k = k, i = i, task = task } end
      end
    end
    local out = M.map(batch, function(t) return pending[t.k].fn(t.task, t.i) end, map_opts)
    local per = {}
    for n, t in ipairs(batch) do
      per[t.k] = per[t.k] or {}
      per[t.k][t.i] = out[n]
    end
    local resumed = pending
    pending = {}
    for k = 1, #runs do
      if resumed[k] then step(k, per[k] or {}) end
    end
  end
  return results
end

return M
