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
---@param fn fun(task: any, i: integer): any   must return plain data (no functions or userdata other than matrices)
---@param opts? {threads?: integer, progress?: fun(done: integer, total: integer)}
---@return any[] results
function M.map(tasks, fn, opts)
  check.arg("map", 1, tasks, "table")
  check.arg("map", 2, fn, "function")
  opts = check.options("map", opts, { threads = "integer", progress = "function" }, 3)
  local threads = check.integer("map", "threads", opts.threads or core.threads(), { min = 0 })
  if threads == 0 then threads = core.threads() end
  local progress = opts.progress
  local n = #tasks
  if threads <= 1 or n <= 1 or core.worker() then
    local results = {}
    for i = 1, n do
      results[i] = fn(tasks[i], i)
      if progress then progress(i, n) end
    end
    return results
  end
  return core.map_indices(n, function(i) return fn(tasks[i], i) end, math.min(threads, n, 256), progress)
end

return M
