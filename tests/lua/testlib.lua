--- A tiny test framework for codlua's Lua tests.
--- T.test(name, fn); T.eq / T.near / T.truthy / T.raises; T.done() at the end.
--- Prints one line per failure and a closing "N passed, N failed" line.

local M = {}

local passed, failed = 0, 0
local current = nil

local function fail(msg, level)
  error({ test_failure = true, msg = msg }, (level or 1) + 1)
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

---@param name string
---@param fn fun()
function M.test(name, fn)
  current = name
  local ok, err = xpcall(fn, function(e)
    if type(e) == "table" and e.test_failure then return e.msg .. "\n" .. debug.traceback("", 3) end
    return "error: " .. tostring(e) .. "\n" .. debug.traceback("", 2)
  end)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    io.stdout:write(("FAIL %s: %s\n"):format(name, err))
  end
  current = nil
end

--- Deep equality for tables, plain == otherwise.
local function deep_eq(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep_eq(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_eq = deep_eq

function M.eq(actual, expected, msg)
  if not deep_eq(actual, expected) then
    fail(("%sexpected %s, got %s"):format(msg and (msg .. ": ") or "", show(expected), show(actual)), 2)
  end
end

--- |actual - expected| <= tol. NaN never passes (every comparison with NaN is false, so a
--- plain `> tol` test would let it through) unless `expected` is NaN too: that is how a
--- test says it expects NaN.
function M.near(actual, expected, tol, msg)
  if expected ~= expected then
    if actual ~= actual then return end
    fail(("%sexpected NaN, got %s"):format(msg and (msg .. ": ") or "", show(actual)), 2)
  end
  if type(actual) ~= "number" or actual ~= actual or not (math.abs(actual - expected) <= tol) then
    fail(("%sexpected %s within %g, got %s"):format(msg and (msg .. ": ") or "", show(expected), tol, show(actual)), 2)
  end
end

function M.truthy(v, msg)
  if not v then fail((msg or "expected a true value") .. ", got " .. show(v), 2) end
end

--- fn must raise; `expected` is the exact message (after stripping a "file:line: "
--- position prefix) or, when it starts with "^" or contains "%", a Lua pattern.
function M.raises(fn, expected, msg)
  local ok, err = pcall(fn)
  if ok then fail((msg and (msg .. ": ") or "") .. "expected an error, none raised", 2) end
  err = tostring(err)
  local stripped = err:gsub("^[^:\n]+:%d+: ", "")
  if expected == nil then return err end
  local matches
  if expected:sub(1, 1) == "^" or expected:find("%", 1, true) then
    matches = stripped:find(expected) ~= nil or err:find(expected) ~= nil
  else
    matches = stripped == expected or err == expected
  end
  if not matches then
    fail(("%serror message mismatch\n  expected: %s\n  got:      %s"):format(msg and (msg .. ": ") or "", expected, err), 2)
  end
  return err
end

--- Run a shell command; returns exit code, stdout, stderr.
function M.run(cmd)
  local out = os.tmpname()
  local errf = os.tmpname()
  local ok, how, code = os.execute(cmd .. " >" .. out .. " 2>" .. errf)
  local function slurp(p)
    local s = M.read(p)
    os.remove(p)
    return s
  end
  local stdout, stderr = slurp(out), slurp(errf)
  if how == "signal" then code = 128 + code end
  return (ok and 0 or code), stdout, stderr
end

--- A file's bytes, or nil when it cannot be opened.
function M.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- A file's bytes; an error when it cannot be opened.
function M.read(path)
  return assert(M.slurp(path), "cannot read " .. tostring(path))
end

--- Write `text` to `path` (replacing it); returns the path.
function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
  return path
end

--- A new empty scratch folder (delete it with T.remove_tree).
function M.scratch()
  local dir = os.tmpname()
  os.remove(dir)
  assert(require("cod.core.sys").mkdir(dir))
  return dir
end

--- Delete a test's own scratch folder (`rm -rf`; cod.core.sys.remove_tree deletes only
--- folders codlua marked as its output).
function M.remove_tree(path)
  assert(type(path) == "string" and #path > 4 and path ~= "/", "remove_tree: refusing " .. tostring(path))
  os.execute("rm -rf " .. M.shell_quote(path))
end

--- Quote a string for the shell.
function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The codlua binary under test and the test data folder.
M.codlua = os.getenv("CODLUA_BIN") or "codlua"
M.data = os.getenv("CODLUA_TEST_DATA") or "../data"
M.source = os.getenv("CODLUA_SOURCE_DIR") or "../.."

function M.done()
  io.stdout:write(("%d passed, %d failed\n"):format(passed, failed))
  io.stdout:flush()
  os.exit(failed == 0 and 0 or 1)
end

return M
