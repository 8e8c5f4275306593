-- The bad-input corpus (tests/bad/cases.lua): every case runs `codlua ...` in a fresh
-- folder under `timeout` and must give its exit status and message, without a crash, a
-- hang, a sanitizer report, or anything left at --out when it fails.
local T = require("testlib")
local sys = require("cod.core.sys")
local json = require("cod.json")
local q = T.shell_quote

local bad = T.source .. "/tests/bad"
local cases = dofile(bad .. "/cases.lua")
local TIMEOUT = tonumber(os.getenv("CODLUA_CASE_TIMEOUT") or "") or 120

local scratch = T.scratch()

local function abs(p)
  if p:sub(1, 1) == "/" then return p end
  local code, out = T.run("pwd")
  assert(code == 0)
  return out:gsub("\n$", "") .. "/" .. p
end
bad = abs(bad)

local function subst(s, out)
  return (s:gsub("%$(%u+)", { BASE = bad .. "/base", FILES = bad .. "/files", RECIPES = bad .. "/recipes", OUT = out }))
end

local slurp = T.slurp

local function leftovers(dir)
  -- Anything in the case folder but `out` itself: a <out>.tmp-<pid> or <out>.old-<pid>.
  local code, list = T.run("ls -A " .. q(dir))
  assert(code == 0)
  local found = {}
  for name in list:gmatch("[^\n]+") do
    if name ~= "out" then found[#found + 1] = name end
  end
  return found
end

local SANITIZER = { "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:" }

local function find(s, pattern, plain)
  return s:find(pattern, 1, plain) ~= nil
end

T.test("the corpus has at least 40 cases", function()
  T.truthy(#cases >= 40, ("%d cases"):format(#cases))
end)

local pending_report = {}

for k, case in ipairs(cases) do
  T.test(("bad input %d: %s"):format(k, case.name), function()
    local dir = scratch .. "/" .. k
    assert(sys.mkdir(dir))
    local out = dir .. "/out"
    local old
    if case.setup == "old_report" then
      assert(sys.mkdir(out))
      -- A report an earlier codlua run wrote: its marker lists its files.
      old = "previous report\n"
      local f = assert(io.open(out .. "/report.json", "wb"))
      f:write(old)
      f:close()
      f = assert(io.open(out .. "/.codlua-output", "wb"))
      f:write("codlua-output v1\ncomplete\nf report.json\n")
      f:close()
    end
    -- Users' files at --out (issue 9): they must survive whatever the run does.
    local keep = {}
    if case.setup == "foreign" then
      assert(sys.mkdir(out .. "/src"))
      keep[out .. "/thesis.tex"] = "my thesis\n"
      keep[out .. "/src/main.c"] = "int main(void) { return 0; }\n"
    elseif case.setup == "file" then
      keep[out] = "a file of the user's\n"
    elseif case.setup == "data" then
      assert(sys.mkdir(out))
      keep[out .. "/models.csv"] = slurp(bad .. "/base/models.csv")
      keep[out .. "/items.csv"] = slurp(bad .. "/base/items.csv")
    end
    for path, content in pairs(keep) do
      local f = assert(io.open(path, "wb"))
      f:write(content)
      f:close()
    end
    local argv = {}
    for i, a in ipairs(case.args) do argv[i] = q(subst(a, out)) end
    local cmd = ("cd %s && env -u CODLUA_TRACEBACK timeout -k 5 %d %s %s"):format(q(dir), TIMEOUT, q(T.codlua), table.concat(argv, " "))
    local status, stdout, stderr = T.run(cmd)

    -- Never: a hang, a crash, a sanitizer report, a partial report.
    if status == 124 or status == 137 then error(("hung: no exit within %d s\n%s"):format(TIMEOUT, cmd)) end
    if status > 128 then error(("crashed with signal %d\n%s\n%s"):format(status - 128, cmd, stderr)) end
    for _, s in ipairs(SANITIZER) do
      if find(stderr, s, true) then error(("sanitizer report (%s)\n%s\n%s"):format(s, cmd, stderr)) end
    end
    local rest = leftovers(dir)
    if #rest > 0 then
      error(("left behind in the run's folder: %s\n%s"):format(table.concat(rest, ", "), cmd))
    end
    if case.no_file then
      T.truthy(slurp(dir .. "/" .. case.no_file) == nil, case.no_file .. " must not exist")
    end
    for path, content in pairs(keep) do
      T.eq(slurp(path), content, path .. " is intact")
    end
    if status ~= 0 and next(keep) == nil then
      if old then
        T.eq(slurp(out .. "/report.json"), old, "the previous report is untouched")
      else
        T.truthy(not sys.exists(out), "a failing run must not create --out")
      end
    end

    -- The expected outcome (reported, not failed, for a pending case).
    local problems = {}
    if status ~= case.status then
      problems[#problems + 1] = ("exit status %d, expected %d"):format(status, case.status)
    end
    if case.stderr and not find(stderr, case.stderr, case.plain) then
      problems[#problems + 1] = ("stderr lacks %q"):format(case.stderr)
    end
    -- DESIGN rule 9: a user's mistake is one line; a bug in a user's recipe keeps its traceback.
    local has_traceback = stderr:find("stack traceback", 1, true) ~= nil
    if status ~= 0 and has_traceback ~= (case.traceback == true) then
      problems[#problems + 1] = case.traceback and "a bug in a recipe must show its traceback"
        or "a user's mistake must not print a traceback"
    end
    if case.stderr_max and #stderr > case.stderr_max then
      problems[#problems + 1] = ("stderr has %d bytes, at most %d expected"):format(#stderr, case.stderr_max)
    end
    if case.stdout and not find(stdout, case.stdout, case.plain) then
      problems[#problems + 1] = ("stdout lacks %q"):format(case.stdout)
    end
    if case.stdout_absent and find(stdout, case.stdout_absent) then
      problems[#problems + 1] = ("stdout has %q"):format(case.stdout_absent)
    end
    if case.stderr_absent and find(stderr, case.stderr_absent) then
      problems[#problems + 1] = ("stderr has %q"):format(case.stderr_absent)
    end
    if status == 0 and case.status == 0 and not sys.exists(out .. "/report.json") then
      problems[#problems + 1] = "a successful run wrote no report.json"
    end
    if case.json_valid and status == 0 then
      local ok, err = pcall(json.decode, slurp(out .. "/report.json") or "")
      if not ok then problems[#problems + 1] = "report.json does not parse: " .. tostring(err) end
    end
    T.remove_tree(dir)
    if case.pending then
      pending_report[#pending_report + 1] = ("%s %s: %s"):format(#problems > 0 and "PENDING" or "FIXED?",
        case.name, #problems > 0 and case.pending or "passes now; drop its 'pending' note")
      return
    end
    if #problems > 0 then
      error(("%s\n$ %s\n--- stdout:\n%s--- stderr:\n%s"):format(table.concat(problems, "; "), cmd,
        stdout:sub(1, 2000), stderr:sub(1, 2000)))
    end
  end)
end

T.remove_tree(scratch)
for _, line in ipairs(pending_report) do io.stdout:write(line, "\n") end
T.done()
