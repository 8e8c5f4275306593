-- Reproducibility: the same command twice gives byte-identical reports (report.json and the
-- rest of the report folder; backtest.json and backtest.csv), on the small bundled dataset
-- tests/bad/base, with bootstrap intervals (seeded) and the self-check on.
local T = require("testlib")
local sys = require("cod.core.sys")
local q = T.shell_quote

local base = T.source .. "/tests/bad/base"
local scratch = T.scratch()

local slurp = T.read

-- Run `codlua <args> --out <scratch>/out` and move the folder to <scratch>/<keep>.
local function run(keep, args)
  local out = scratch .. "/out"
  local code, _, err = T.run(("timeout -k 5 300 %s %s --out %s"):format(q(T.codlua), args, q(out)))
  T.eq(code, 0, "codlua " .. args .. " failed: " .. err)
  assert(sys.rename(out, scratch .. "/" .. keep))
  return scratch .. "/" .. keep
end

local function files_of(dir)
  local code, list = T.run("cd " .. q(dir) .. " && find . -type f | LC_ALL=C sort")
  assert(code == 0)
  local files = {}
  for f in list:gmatch("[^\n]+") do files[#files + 1] = f:sub(3) end
  return files
end

local function same_folders(a, b)
  local fa, fb = files_of(a), files_of(b)
  T.eq(fb, fa, "the same files")
  for _, f in ipairs(fa) do
    local x, y = slurp(a .. "/" .. f), slurp(b .. "/" .. f)
    if x ~= y then error(("%s differs between two identical runs"):format(f)) end
  end
  return fa
end

local predict = "predict --data " .. q(base) .. " --bootstrap 20 --seed 3"

T.test("predict twice: byte-identical report.json and report folder", function()
  local a = run("predict1", predict)
  local b = run("predict2", predict)
  T.truthy(#slurp(a .. "/report.json") > 1000, "report.json has content")
  -- Every file, the plots gnuplot renders (PNG, SVG) included.
  local files = same_folders(a, b)
  local names = table.concat(files, " ")
  for _, f in ipairs({ "report.json", "report.md", "sets.csv", "clusters.csv", "mapping.csv" }) do
    T.truthy(names:find(f, 1, true), f .. " is written")
  end
end)

T.test("the comparison can fail: another seed changes the bootstrap intervals", function()
  local a = run("seed3", predict)
  local b = run("seed4", "predict --data " .. q(base) .. " --bootstrap 20 --seed 4")
  T.truthy(slurp(a .. "/report.json") ~= slurp(b .. "/report.json"), "seed 3 and seed 4 differ")
end)

T.test("backtest twice: byte-identical backtest.json and backtest.csv", function()
  local args = "backtest --data " .. q(base) .. " --top 2"
  local a = run("backtest1", args)
  local b = run("backtest2", args)
  T.eq(files_of(a), { ".codlua-output", "backtest.csv", "backtest.json" })
  same_folders(a, b)
  T.truthy(#slurp(a .. "/backtest.json") > 1000, "backtest.json has content")
end)

T.remove_tree(scratch)
T.done()
