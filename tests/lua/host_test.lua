-- The codlua host: version, options, arguments, errors and exit statuses.
local T = require("testlib")
local q = T.shell_quote
local bin = q(T.codlua)

T.test("require('cod').version is the engine version", function()
  local cod = require("cod")
  T.truthy(cod.version:match("^%d+%.%d+%.%d+$"), "version looks like x.y.z")
end)

T.test("-e runs a statement", function()
  local code, out = T.run(bin .. " -e " .. q('print(require("cod").version)'))
  T.eq(code, 0)
  T.eq(out, require("cod").version .. "\n")
end)

T.test("-v prints the version", function()
  local code, out = T.run(bin .. " -v")
  T.eq(code, 0)
  T.truthy(out:match("^codlua %d+%.%d+%.%d+ %(Lua 5%.4"), "got " .. out)
end)

T.test("--help prints usage and exits 0", function()
  local code, out = T.run(bin .. " --help")
  T.eq(code, 0)
  T.truthy(out:find("usage: codlua", 1, true))
end)

T.test("an unknown option prints usage and exits 1", function()
  local code, _, err = T.run(bin .. " -Z")
  T.eq(code, 1)
  T.truthy(err:find("usage: codlua", 1, true))
end)

T.test("script arguments arrive in arg and ...", function()
  local f = os.tmpname() .. ".lua"
  local h = assert(io.open(f, "w"))
  h:write('local a, b = ...\nprint(arg[0] ~= nil, arg[1], arg[2], a, b, #arg)\n')
  h:close()
  local code, out = T.run(bin .. " " .. q(f) .. " x y")
  os.remove(f)
  T.eq(code, 0)
  T.eq(out, "true\tx\ty\tx\ty\t2\n")
end)

T.test("a Lua error prints a traceback to stderr and exits 1", function()
  local f = os.tmpname() .. ".lua"
  local h = assert(io.open(f, "w"))
  h:write('local function inner() error("boom") end\ninner()\n')
  h:close()
  local code, out, err = T.run(bin .. " " .. q(f))
  os.remove(f)
  T.eq(code, 1)
  T.eq(out, "")
  T.truthy(err:find(":1: boom", 1, true), "message with file:line, got " .. err)
  T.truthy(err:find("stack traceback:", 1, true), "traceback present")
  -- Exact lines (a bare "inner" would also match the message's own source text).
  T.truthy(err:find(":1: in local 'inner'\n", 1, true), "traceback names the function and its line: " .. err)
  T.truthy(err:find(":2: in main chunk\n", 1, true), "traceback reaches the calling line: " .. err)
end)

T.test("a user's mistake is one line and its exit status; CODLUA_TRACEBACK=1 shows the traceback", function()
  local function script(body)
    local f = os.tmpname() .. ".lua"
    local h = assert(io.open(f, "w"))
    h:write(body)
    h:close()
    return f
  end
  local f = script('require("cod.errors").user("the file is wrong")\n')
  local code, out, err = T.run("env -u CODLUA_TRACEBACK " .. bin .. " " .. q(f))
  T.eq({ code, out, err }, { 1, "", "codlua: the file is wrong\n" })
  code, _, err = T.run("CODLUA_TRACEBACK=1 " .. bin .. " " .. q(f))
  T.eq(code, 1)
  T.truthy(err:find("codlua: the file is wrong\nstack traceback:", 1, true), err)
  os.remove(f)
  f = script('require("cod.errors").usage("--x must be > 0")\n')
  code, out, err = T.run("env -u CODLUA_TRACEBACK " .. bin .. " " .. q(f))
  T.eq({ code, out, err }, { 2, "", "codlua: --x must be > 0\n" })
  os.remove(f)
  -- An engine input error keeps its position as fields of the error object.
  f = script('local ok, e = pcall(require("cod.data").load, "/nonexistent/dir")\n' ..
    'print(require("cod.errors").is_user(e), e.status, e.file)\n')
  code, out = T.run(bin .. " " .. q(f))
  os.remove(f)
  T.eq(code, 0)
  T.eq(out, "true\t1\t/nonexistent/dir\n")
  -- A command's input mistake: no traceback.
  code, out, err = T.run("env -u CODLUA_TRACEBACK " .. bin .. " predict --data /nonexistent/dir")
  T.eq(code, 1)
  T.truthy(err:find("^codlua: [^\n]*nonexistent/dir[^\n]*\n$"), err)
end)

T.test("T.near fails on NaN unless NaN is expected", function()
  T.eq(pcall(T.near, 0 / 0, 0.5, 1e9), false, "NaN is not near 0.5 whatever the tolerance")
  T.eq(pcall(T.near, 0.5, 0 / 0, 1), false, "a number is not NaN")
  T.eq(pcall(T.near, 0 / 0, 0 / 0, 0), true, "NaN expected and got")
  T.eq(pcall(T.near, 0.5, 0.5 + 1e-12, 1e-9), true)
end)

T.test("a syntax error exits 1", function()
  local code, _, err = T.run(bin .. " -e " .. q("x = = 1"))
  T.eq(code, 1)
  T.truthy(err:find("unexpected symbol", 1, true), err)
end)

T.test("a missing script file exits 1 with its name", function()
  local code, _, err = T.run(bin .. " /nonexistent/nothing.lua")
  T.eq(code, 1)
  T.truthy(err:find("cannot open /nonexistent/nothing.lua", 1, true), err)
end)

T.test("-l requires a module into a global", function()
  local code, out = T.run(bin .. " -l cod -e " .. q("print(type(cod), cod.version ~= nil)"))
  T.eq(code, 0)
  T.eq(out, "table\ttrue\n")
end)

T.test("an unknown command lists the commands and exits 2", function()
  local code, _, err = T.run(bin .. " nosuchcommand")
  T.eq(code, 2)
  T.truthy(err:find("unknown command 'nosuchcommand'", 1, true), err)
end)

T.test("help lists commands", function()
  local code, out = T.run(bin .. " help")
  T.eq(code, 0)
  T.truthy(out:find("commands:", 1, true))
end)

T.test("script from stdin", function()
  local code, out = T.run("echo 'print(1+1)' | " .. bin .. " -")
  T.eq(code, 0)
  T.eq(out, "2\n")
end)

T.test("-i runs a REPL on piped input", function()
  local code, out = T.run("printf '1+2\\nx=5\\nx*2\\n' | " .. bin .. " -i")
  T.eq(code, 0)
  T.eq(out, "3\n10\n")
end)

T.test("cod.Matrix from a table of rows", function()
  local matrix = require("cod.core.matrix")
  local m = matrix.new({ { 1, 2, 3 }, { 4, 5, 6 } })
  T.eq(m:rows(), 2)
  T.eq(m:cols(), 3)
  T.eq(m:get(2, 3), 6)
  T.eq(m:totable(), { { 1, 2, 3 }, { 4, 5, 6 } })
  T.eq(tostring(m), "cod.Matrix(2 x 3)")
  T.raises(function() matrix.new({ { 1, 2 }, { 3 } }) end,
    "bad argument #1 to 'new' (row 2 has 1 values, expected 2 like row 1)")
  T.raises(function() matrix.new({ { 1, "x" } }) end,
    "bad argument #1 to 'new' (row 1, column 2 is a string, expected a number)")
  T.raises(function() m:get(3, 1) end, "bad argument #1 to 'get' (row out of range [1, 2])")
end)

T.test("a closed matrix gives a clear error", function()
  local matrix = require("cod.core.matrix")
  do
    local m <close> = matrix.zeros(2, 2)
    T.eq(m:rows(), 2)
    M = m
  end
  T.raises(function() M:rows() end, "calling 'rows' on bad self (cod.Matrix has been released)")
  M = nil
end)

T.done()
