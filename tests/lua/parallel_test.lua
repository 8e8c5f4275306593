-- cod.parallel: ordered results, exact numbers, errors raised as a sequential loop would,
-- a crashed worker named, nesting, and the --threads option of predict and backtest.
local T = require("testlib")
local parallel = require("cod.parallel")
local core = require("cod.core.parallel")
local matrix = require("cod.core.matrix")
local q = T.shell_quote

local function range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

T.test("results come back in task order, whatever the worker count", function()
  local tasks = range(37)
  local seq = parallel.map(tasks, function(x, i) return { x * x, i, tostring(x) } end, { threads = 1 })
  for _, w in ipairs({ 2, 3, 8 }) do
    T.eq(parallel.map(tasks, function(x, i) return { x * x, i, tostring(x) } end, { threads = w }), seq)
  end
end)

T.test("the work really runs in other processes", function()
  local pids = parallel.map(range(4), function()
    local f = assert(io.open("/proc/self/stat"))
    local pid = f:read("n")
    f:close()
    return pid
  end, { threads = 2 })
  local f = assert(io.open("/proc/self/stat"))
  local me = f:read("n")
  f:close()
  for _, p in ipairs(pids) do T.truthy(p ~= me, "task ran in a worker, not the caller") end
end)

T.test("numbers round-trip bit for bit; tables, booleans, strings, nil holes and matrices travel", function()
  local values = { 0.1, 1 / 3, -0.0, 2 ^ -1074, 1e308 * 10, -(1e308 * 10), math.pi, 2 ^ 53 + 1, math.mininteger }
  local got = parallel.map(range(#values), function(i)
    return { v = values[i], s = ("%a"):format(values[i]), flag = i % 2 == 0, nested = { { i } }, hole = nil }
  end, { threads = 2 })
  for i, v in ipairs(values) do
    T.eq(math.type(got[i].v), math.type(v))
    T.eq(("%a"):format(got[i].v), ("%a"):format(v))
    T.eq(got[i].flag, i % 2 == 0)
    T.eq(got[i].nested[1][1], i)
  end
  local nan = parallel.map({ 1, 2 }, function() return 0 / 0 end, { threads = 2 })
  T.truthy(nan[1] ~= nan[1], "NaN stays NaN")
  local m = parallel.map({ 1, 2 }, function(k) return matrix.new({ { k, 0.1 }, { 1 / 3, k } }) end, { threads = 2 })
  T.eq(m[2]:get(1, 1), 2)
  T.eq(("%a"):format(m[1]:get(2, 1)), ("%a"):format(1 / 3))
  local nils = parallel.map(range(4), function(i) if i % 2 == 0 then return i end end, { threads = 2 })
  T.eq(nils[2], 2)
  T.eq(nils[3], nil)
  T.eq(nils[4], 4)
end)

T.test("what cannot leave a worker is a bug named by where it sits", function()
  T.raises(function()
    parallel.map({ 1, 2 }, function() return { fit = { f = print } } end, { threads = 2 })
  end, "task 1 returned a function at result%.fit%.f, which cannot leave a worker process")
  T.raises(function()
    parallel.map({ 1, 2 }, function() return { io.stdout } end, { threads = 2 })
  end, "returned a userdata value %(FILE%*%) at result%[1%]")
end)

T.test("an error is the lowest failing task's, as in a sequential loop", function()
  local function fn(x)
    if x == 5 or x == 9 then error("bad task " .. x) end
    return x
  end
  local seq = T.raises(function() parallel.map(range(12), fn, { threads = 1 }) end, "^.-bad task 5")
  for _, w in ipairs({ 2, 4 }) do
    local err = T.raises(function() parallel.map(range(12), fn, { threads = w }) end, "parallel_test%.lua:%d+: bad task 5")
    T.truthy(err:find("stack traceback", 1, true), "a bug keeps the worker's traceback")
    T.truthy(err:find("parallel_test.lua:%d+"), "the traceback names the task's file:line: " .. err)
    T.truthy(seq:find("bad task 5", 1, true))
  end
end)

T.test("an error object keeps its fields and its registered metatable", function()
  local mt = debug.getregistry()["cod.test.Error"] or {}
  mt.__name = "cod.test.Error"
  mt.__tostring = function(e) return "E(" .. e.message .. ")" end
  debug.getregistry()["cod.test.Error"] = mt
  local ok, err = pcall(parallel.map, range(4), function(x)
    if x == 3 then error(setmetatable({ message = "user mistake", line = 42 }, mt)) end
    return x
  end, { threads = 2 })
  T.eq(ok, false)
  T.eq(type(err), "table")
  T.eq(err.message, "user mistake")
  T.eq(err.line, 42)
  T.eq(getmetatable(err), mt)
  T.eq(tostring(err), "E(user mistake)")
end)

T.test("a worker that dies is named, and the other workers are reaped", function()
  T.raises(function()
    parallel.map(range(3), function(x)
      if x == 2 then os.exit(3) end  -- exits the worker without a result
      return x
    end, { threads = 2 })
  end, "the worker process running task 2 ended without a result %(exit status 3%)")
  -- Nothing is left over: the next map works.
  T.eq(parallel.map(range(3), function(x) return x end, { threads = 2 }), { 1, 2, 3 })
end)

T.test("maps nest: inside a worker they run sequentially", function()
  local got = parallel.map(range(3), function(x)
    T.truthy(parallel.worker())
    T.eq(parallel.threads(), 1)
    return parallel.map(range(x), function(y) return x * 10 + y end, { threads = 4 })
  end, { threads = 2 })
  T.eq(got, { { 11 }, { 21, 22 }, { 31, 32, 33 } })
  T.raises(function()
    parallel.map({ 1, 2 }, function() return core.map_indices(2, function(i) return i end, 2) end, { threads = 2 })
  end, "cod%.parallel: map_indices called inside a worker process")
  T.eq(parallel.worker(), false)
end)

T.test("progress is called in the caller once per task", function()
  local seen = {}
  parallel.map(range(5), function(x) return x end, { threads = 2, progress = function(done, total)
    seen[#seen + 1] = done .. "/" .. total
  end })
  T.eq(seen, { "1/5", "2/5", "3/5", "4/5", "5/5" })
end)

T.test("cost: tasks handed out longest first, results in task order, errors the same for any worker count", function()
  local tasks = range(9)
  local function cost(x) return (x * 7) % 5 end  -- 2, 4, 1, 3, 0, 2, 4, 1, 3
  local order = {}
  local seq = parallel.map(tasks, function(x, i)
    order[#order + 1] = i
    return { x * x, i }
  end, { threads = 1, cost = cost })
  T.eq(order, { 2, 7, 4, 9, 1, 6, 3, 8, 5 }, "longest first, ties in task order")
  T.eq(seq, parallel.map(tasks, function(x, i) return { x * x, i } end, { threads = 1 }))
  for _, w in ipairs({ 2, 3 }) do
    T.eq(parallel.map(tasks, function(x, i) return { x * x, i } end, { threads = w, cost = cost }), seq)
  end
  -- Tasks 3 and 4 fail; 4 is handed out first (cost 3 > 1), so its error is raised, by any worker count.
  local function fn(x)
    if x == 3 or x == 4 then error("bad task " .. x) end
    return x
  end
  for _, w in ipairs({ 1, 2, 4 }) do
    T.raises(function() parallel.map(tasks, fn, { threads = w, cost = cost }) end, "^.-bad task 4")
  end
  T.raises(function() parallel.map(tasks, fn, { threads = 2, cost = function() return "long" end }) end,
    "^.-map: cost of task 1 must be a number, got long")
  -- gather: the cost of each task of the batch.
  local got = parallel.gather({ function(map) return map({ 1, 5 }, function(x) return -x end) end,
    function(map) return map({ 3 }, function(x) return 10 * x end) end }, { threads = 2, cost = function(x) return x end })
  T.eq(got, { { -1, -5 }, { 30 } })
end)

T.test("idle: called once in the caller when a worker first finds no task left", function()
  for _, w in ipairs({ 1, 2, 3 }) do
    local calls, done_then = 0, nil
    local done = 0
    parallel.map(range(7), function(x) return x end, { threads = w,
      progress = function(d) done = d end,
      idle = function()
        calls = calls + 1
        done_then = done
      end })
    T.eq(calls, 1, w .. " workers")
    -- 7 tasks on w workers: a worker first has nothing to take once 7 - w + 1 tasks are done;
    -- run in the caller, before the last task.
    T.eq(done_then, w == 1 and 6 or 7 - w, w .. " workers: tasks done before idle")
  end
end)

T.test("bad arguments", function()
  T.raises(function() parallel.map(nil, print) end, "bad argument #1 to 'map' (table expected, got nil)")
  T.raises(function() parallel.map({}, nil) end, "bad argument #2 to 'map' (function expected, got nil)")
  T.raises(function() parallel.map({}, print, { thread = 2 }) end,
    "bad option 'thread' to 'map' (valid options: cost, idle, progress, threads) (did you mean 'threads'?)")
  T.raises(function() parallel.map({}, print, { threads = 1.5 }) end,
    "bad option 'threads' to 'map' (integer expected, got 1.5)")
  T.raises(function() parallel.map({}, print, { threads = 300 }) end,
    "bad option 'threads' to 'map' (an integer >= 0 and <= 256 expected, got 300)")
  T.raises(function() parallel.map({}, print, { threads = -1 }) end,
    "bad option 'threads' to 'map' (an integer >= 0 and <= 256 expected, got -1)")
  T.raises(function() core.map_indices(2, print, 0) end, "^.-bad argument #3 to 'map_indices' %(must be in %[1, 256%]%)")
  T.eq(parallel.map({}, print, { threads = 2 }), {})
end)

T.test("gather: several functions' maps run as one batch, results in order", function()
  local seen = {}
  local fns = {}
  for k = 1, 3 do
    fns[k] = function(map)
      local a = map({ k, k + 10 }, function(x, i) return x * 2 + i end)
      local b = map({ k }, function(x) return -x end)  -- a second map: a second batch
      return { a[1], a[2], b[1] }
    end
  end
  local got = parallel.gather(fns, { threads = 2, progress = function(done, total) seen[#seen + 1] = total end })
  T.eq(got, { { 3, 24, -1 }, { 5, 26, -2 }, { 7, 28, -3 } })
  T.eq(seen[1], 6, "the first batch holds the three first maps' six tasks")
  T.eq(parallel.gather(fns, { threads = 1 }), got)
  -- An error in one function is raised; a bug keeps its traceback.
  local err = T.raises(function()
    parallel.gather({ function() return 1 end, function(map) map({ 1 }, function() return 1 end); error("broken") end })
  end, "parallel_test%.lua:%d+: broken")
  T.truthy(err:find("stack traceback", 1, true), err)
end)

-- ------------------------------------------------------------------ the commands

local base = T.source .. "/tests/bad/base"

local slurp = T.read

T.test("predict --threads 1 and 2: byte-identical report.json with bootstrap and self-check", function()
  local function run(threads, extra)
    local code, out, err = T.run(("timeout -k 5 300 %s predict --data %s --bootstrap 12 --seed 7 --threads %d --json%s")
      :format(q(T.codlua), q(base), threads, extra or ""))
    T.eq(code, 0, err)
    return out
  end
  local one, two = run(1), run(2)
  T.truthy(#one > 1000, "report.json has content")
  T.truthy(one:find('"interval"', 1, true), "intervals are in the report")
  if one ~= two then error("report.json differs between --threads 1 and --threads 2") end
  -- The comparison can fail: another seed changes the report.
  T.truthy(run(2, " --seed 8") ~= two, "seed 8 differs from seed 7")
end)

T.test("a user's recipe file under --sandbox runs in the workers, with the same report", function()
  local recipe = T.source .. "/examples/my_recipe.lua"
  local function run(threads)
    local code, out, err = T.run(("timeout -k 5 300 %s --sandbox predict --data %s --recipe %s --bootstrap 6 --seed 2 --threads %d --json")
      :format(q(T.codlua), q(base), q(recipe), threads))
    T.eq(code, 0, err)
    return out
  end
  local one, two = run(1), run(2)
  T.truthy(one:find('"recipe": "my_recipe"', 1, true), "the user's recipe ran")
  if one ~= two then error("report.json differs between --threads 1 and --threads 2 with a recipe file") end
  -- The sandbox holds inside a worker: a task cannot write outside the --out folder.
  local code, _, err = T.run(("%s --sandbox -e %s"):format(q(T.codlua), q([[
    local r = require("cod.parallel").map({ 1, 2 }, function(i)
      local ok, e = pcall(io.open, "/tmp/codlua-parallel-sandbox-" .. i, "w")
      return ok and "opened" or tostring(e)
    end, { threads = 2 })
    assert(r[1]:find("not allowed by %-%-sandbox"), r[1])
    assert(r[2]:find("not allowed by %-%-sandbox"), r[2])
  ]])))
  T.eq(code, 0, err)
end)

T.test("backtest --threads 1 and 2: byte-identical backtest.json", function()
  local function run(threads)
    local out = os.tmpname()
    os.remove(out)
    local code, _, err = T.run(("timeout -k 5 300 %s backtest --data %s --top 2 --threads %d --out %s")
      :format(q(T.codlua), q(base), threads, q(out)))
    T.eq(code, 0, err)
    local s = slurp(out .. "/backtest.json")
    require("cod.core.sys").remove_tree(out)
    return s
  end
  local one, two = run(1), run(2)
  T.truthy(#one > 1000, "backtest.json has content")
  if one ~= two then error("backtest.json differs between --threads 1 and --threads 2") end
end)

T.test("--threads out of range is a usage error", function()
  local code, _, err = T.run(("%s predict --data %s --threads -1"):format(q(T.codlua), q(base)))
  T.eq(code, 2)
  T.truthy(err:find("option '--threads' must be between 0 and 256, got -1", 1, true), err)
end)

T.done()
