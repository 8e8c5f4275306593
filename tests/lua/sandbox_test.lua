-- codlua --sandbox: untrusted recipes and scripts cannot run programs, load native code,
-- or write outside --out; the stdlib's own report writer and gnuplot call still work.
-- Also: names from data files cannot inject commands into the gnuplot scripts.
local T = require("testlib")
local sys = require("cod.core.sys")
local q = T.shell_quote

local base = T.source .. "/tests/bad/base"
local scratch = T.scratch()
local bin = q(T.codlua)

local write = T.write

local function exists(p)
  return sys.exists(p)
end

-- A recipe that tries every door and prints one line per attempt: PROBE <name> <ok> <message>.
local probe_recipe = [==[
local out
for i = 1, #arg do if arg[i] == "--out" then out = arg[i + 1] end end
local scratch = out:match("^(.*)/[^/]+$")
local function try(name, f)
  local ok, res = pcall(f)
  print(("PROBE %s %s %s"):format(name, tostring(ok), tostring(res):gsub("\n", " ")))
end
try("mkdir_out", function() return require("cod.core.sys").mkdir(out) end)
try("os.execute", function() return os.execute("touch " .. scratch .. "/ran_execute") end)
try("io.popen", function() return io.popen("touch " .. scratch .. "/ran_popen") end)
try("package.loadlib", function() return package.loadlib("libc.so.6", "system") end)
try("cpath", function() package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so" return require("lpeg") end)
try("io.open_outside", function() return io.open(scratch .. "/outside.txt", "w") end)
try("io.open_dotdot", function() return io.open(out .. "/../outside2.txt", "w") end)
try("io.open_read", function() return io.open(out:match("^(.*)/[^/]+$") .. "/input.txt", "r") ~= nil end)
try("io.output", function() return io.output(scratch .. "/outside3.txt") end)
try("os.remove", function() return os.remove(scratch .. "/victim.txt") end)
try("os.rename", function() return os.rename(scratch .. "/victim.txt", out .. "/stolen.txt") end)
try("os.tmpname", function() return os.tmpname() end)
try("io.tmpfile", function() return io.tmpfile() end)
try("os.getenv", function() return os.getenv("HOME") end)
try("os.exit", function() return os.exit(3) end)
try("sys.remove_tree", function() return require("cod.core.sys").remove_tree(scratch .. "/victim.txt") end)
try("sys.rename", function() return require("cod.core.sys").rename(scratch .. "/victim.txt", scratch .. "/v2") end)
try("sys.mkdir_outside", function() return require("cod.core.sys").mkdir(scratch .. "/newdir") end)
try("report.write_outside", function() return require("cod.report").write({ sets = {}, ladder = {}, anchors = {} },
  scratch .. "/elsewhere") end)
try("tamper", function()
  local sb = require("cod.sandbox")
  sb.may_write = function() return true end
  sb.env = { os = { execute = function() end } }
  return io.open(scratch .. "/tampered.txt", "w")
end)
try("debug", function() return debug.getupvalue ~= nil or debug.getregistry ~= nil end)
try("require_debug", function() return require("debug").getregistry ~= nil end)
try("require_G", function() return require("_G") == _G end)
try("require_os", function() return require("os") == os and os.execute ~= nil end)
try("string_metatable", function() return getmetatable("") end)
try("binary_chunk", function() return load(string.dump(function() return 1 end)) end)
try("load_env", function() return load("return os.execute")() == os.execute end)
try("plot_key", function() return require("cod.plot").render({ output = out .. "/p", key = "left\n!touch x",
  series = { { points = { { 1, 1 } } } } }) end)
try("io.open_out", function() local f = assert(io.open(out .. "/note.txt", "w")) f:write("ok") f:close() return true end)
return require("cod.recipes").get("cod")
]==]

local function probes(stdout)
  local r = {}
  for name, ok, msg in stdout:gmatch("PROBE (%S+) (%S+) ([^\n]*)") do r[name] = { ok = ok == "true", msg = msg } end
  return r
end

T.test("--sandbox: a recipe cannot run programs, load native code, or write outside --out", function()
  local dir = scratch .. "/probe"
  assert(sys.mkdir(dir))
  write(dir .. "/victim.txt", "keep me")
  write(dir .. "/input.txt", "data")
  assert(sys.mkdir(scratch .. "/elsewhere_target"))
  -- (Links placed inside --out are tested in sandbox_escape_test.lua: a --out holding
  -- files codlua did not write is refused before the recipe runs.)
  local recipe = write(dir .. "/probe_recipe.lua", probe_recipe)
  local out = dir .. "/out"
  local code, stdout, stderr = T.run(("%s --sandbox predict --data %s --recipe %s --out %s"):format(bin, q(base),
    q(recipe), q(out)))
  -- The recipe's own files in --out are allowed by the sandbox, but codlua then refuses
  -- to replace a folder holding files it did not write (cod.files).
  T.eq(code, 1, "the probes ran: " .. stderr)
  T.truthy(stderr:find("now holds files codlua did not write %('note%.txt'%)"), stderr)
  local p = probes(stdout)
  local denied = "is not allowed by %-%-sandbox"
  for _, name in ipairs({ "os.execute", "io.popen", "package.loadlib", "os.tmpname", "io.tmpfile", "os.getenv",
    "os.exit" }) do
    T.truthy(p[name] and not p[name].ok and p[name].msg:find(name:gsub("%.", "%%.") .. " " .. denied),
      name .. ": " .. tostring(p[name] and p[name].msg))
  end
  for _, name in ipairs({ "io.open_outside", "io.open_dotdot", "io.output", "os.remove", "os.rename", "sys.remove_tree",
    "sys.rename", "sys.mkdir_outside", "report.write_outside", "tamper" }) do
    T.truthy(p[name] and not p[name].ok and p[name].msg:find("writing '.-' " .. denied .. " %(writes are allowed only under"),
      name .. ": " .. tostring(p[name] and p[name].msg))
  end
  T.truthy(p.cpath and not p.cpath.ok and p.cpath.msg:find("module 'lpeg' not found"), "cpath: " .. tostring(p.cpath and p.cpath.msg))
  T.eq(p["io.open_read"] and p["io.open_read"].msg, "true", "reading is allowed")
  T.eq(p.debug.msg, "false", "no debug.getupvalue / getregistry")
  T.eq(p.require_debug.msg, "false", "require('debug') is the small one")
  T.eq(p.require_G.msg, "true", "require('_G') is the sandbox's own table")
  T.eq(p.require_os.msg, "true", "require('os') is the sandbox's os")
  T.eq(p.string_metatable.msg, "locked by cod.sandbox")
  T.truthy(p.binary_chunk.ok and p.binary_chunk.msg == "nil", "a binary chunk does not load")
  T.eq(p.load_env.msg, "true", "load() chunks run in the sandbox's globals")
  T.truthy(not p.plot_key.ok and p.plot_key.msg:find("key must be gnuplot placement words"), p.plot_key.msg)
  T.eq(p.mkdir_out.msg, "true", "mkdir under --out is allowed")
  T.eq(p["io.open_out"].msg, "true", "writing under --out is allowed")
  -- Nothing happened outside.
  for _, f in ipairs({ "ran_execute", "ran_popen", "outside.txt", "outside2.txt", "outside3.txt", "newdir", "v2",
    "elsewhere", "elsewhere_target/escaped.txt", "tampered.txt" }) do
    T.truthy(not exists(dir .. "/" .. f) and not exists(scratch .. "/" .. f), f .. " must not exist")
  end
  local f = assert(io.open(dir .. "/victim.txt", "rb"))
  T.eq(f:read("a"), "keep me", "the victim file is intact")
  f:close()
  T.truthy(exists(out .. "/note.txt") and not exists(out .. "/report.json"), "--out keeps the recipe's file")
  -- The trusted stdlib still writes the whole report under --sandbox, and runs gnuplot if installed.
  local out2 = dir .. "/out2"
  code, _, stderr = T.run(("%s --sandbox predict --data %s --out %s"):format(bin, q(base), q(out2)))
  T.eq(code, 0, stderr)
  T.truthy(exists(out2 .. "/report.json") and exists(out2 .. "/report.md"), "report written")
  if T.run("command -v gnuplot >/dev/null") == 0 then
    T.truthy(exists(out2 .. "/plots/alpha_clusters.svg"), "plots rendered under --sandbox")
  end
  local _, list = T.run("ls -A " .. q(dir))
  T.eq(list, "input.txt\nout\nout2\nprobe_recipe.lua\nvictim.txt\n", "no temporary folder left")
end)

T.test("--sandbox: a failing recipe leaves no --out", function()
  local dir = scratch .. "/fail"
  assert(sys.mkdir(dir))
  local recipe = write(dir .. "/r.lua", 'os.execute("true")\nreturn require("cod.recipes").get("cod")\n')
  local code, _, stderr = T.run(("%s --sandbox predict --data %s --recipe %s --out %s"):format(bin, q(base), q(recipe),
    q(dir .. "/out")))
  T.eq(code, 1)
  T.truthy(stderr:find("r%.lua:1: os%.execute is not allowed by %-%-sandbox"), stderr)
  T.truthy(not exists(dir .. "/out"), "no --out")
end)

T.test("--sandbox: a script may not write at all, -e chunks are sandboxed too", function()
  local dir = scratch .. "/script"
  assert(sys.mkdir(dir))
  local script = write(dir .. "/s.lua", 'local f = io.open(' .. ("%q"):format(dir .. "/x.txt") .. ', "w")\n')
  local code, _, stderr = T.run(bin .. " --sandbox " .. q(script))
  T.eq(code, 1)
  T.truthy(stderr:find("s%.lua:1: io%.open: writing '.-x%.txt' is not allowed by %-%-sandbox %(this run may not " ..
    "write files: it has no %-%-out folder%)"), stderr)
  T.truthy(not exists(dir .. "/x.txt"))
  code, _, stderr = T.run(bin .. " --sandbox -e " .. q('os.execute("touch ' .. dir .. '/y")'))
  T.eq(code, 1)
  T.truthy(stderr:find("%(command line%):1: os%.execute is not allowed by %-%-sandbox"), stderr)
  T.truthy(not exists(dir .. "/y"))
  -- Without --sandbox the same chunk runs (the option is what makes the difference).
  code = T.run(bin .. " -e " .. q('assert(os.execute("touch ' .. dir .. '/y"))'))
  T.eq(code, 0)
  T.truthy(exists(dir .. "/y"))
end)

T.test("--sandbox: a precompiled (binary) script is refused", function()
  local dir = scratch .. "/binary"
  assert(sys.mkdir(dir))
  local path = write(dir .. "/b.lua", string.dump(load("print('ran')")))
  local code, out, stderr = T.run(bin .. " --sandbox " .. q(path))
  T.eq(code, 1)
  T.eq(out, "")
  T.truthy(stderr:find("attempt to load a binary chunk %(mode is 't'%)"), stderr)
end)

T.test("--sandbox: modules next to a recipe load into the sandbox, not the trusted globals", function()
  local dir = scratch .. "/modules"
  assert(sys.mkdir(dir))
  write(dir .. "/helper.lua", "return { run = function() local r = os.execute(\"true\") return r end, G = _G }\n")
  local recipe = write(dir .. "/r.lua", ([[
package.path = %q .. "/?.lua;" .. package.path
local h = require("helper")
print("SAME_G", h.G == _G)
print("RUN", pcall(h.run))
return require("cod.recipes").get("cod")
]]):format(dir))
  local code, stdout, stderr = T.run(("%s --sandbox predict --data %s --recipe %s"):format(bin, q(base), q(recipe)))
  T.eq(code, 0, stderr)
  T.truthy(stdout:find("SAME_G\ttrue"), stdout)
  T.truthy(stdout:find("RUN\tfalse\t.-helper%.lua:1: os%.execute is not allowed by %-%-sandbox"), stdout)
end)

-- Names come from data files; gnuplot runs `backquotes` inside double quotes and starts a
-- new command at a line break. Neither may reach a shell, sandbox or not.
T.test("plots: set names from the data cannot inject gnuplot or shell commands", function()
  local dir = scratch .. "/inject"
  assert(sys.mkdir(dir))
  local f = assert(io.open(base .. "/items.csv", "rb"))
  local items = f:read("a")
  f:close()
  local marker = dir .. "/PWNED"
  local evil_alpha = ('"al`touch %s1`pha"'):format(marker)
  local evil_beta = ('"be\n!touch %s2\nta \'x\' ""y"""'):format(marker)
  items = items:gsub("\nalpha,", "\n" .. evil_alpha .. ","):gsub("\nbeta,", "\n" .. evil_beta .. ",")
  write(dir .. "/items.csv", items)
  local code, _, stderr = T.run(("%s predict --models %s --items %s --out %s"):format(bin, q(base .. "/models.csv"),
    q(dir .. "/items.csv"), q(dir .. "/out")))
  T.eq(code, 0, stderr)
  T.truthy(not exists(marker .. "1") and not exists(marker .. "2"), "no command ran")
  if T.run("command -v gnuplot >/dev/null") == 0 then
    local code2, list = T.run("ls " .. q(dir .. "/out/plots"))
    T.eq(code2, 0)
    local svgs = select(2, list:gsub("%.svg", ""))
    T.eq(svgs, 7, "every plot rendered (clusters, mapping, candidates per set; the summary): " .. list)
  end
end)

T.test("plots: plot.render refuses a key that is not plain words", function()
  local plot = require("cod.plot")
  T.raises(function()
    plot.render({ output = scratch .. "/k", key = "left\n!touch " .. scratch .. "/PWNED3",
      series = { { points = { { 1, 1 } } } } })
  end, "^plot.render: key must be gnuplot placement words such as 'left top', got \"left\\\n!touch ")
  T.truthy(not exists(scratch .. "/PWNED3"))
end)

-- The sandbox checks live in the functions' table slots (io.open, os.remove, sys.mkdir, ...).
-- A stdlib module that copied one into a local when it loaded would keep the unchecked
-- function; only cod.plot may do so, for os.execute and io.popen (its gnuplot processes), and
-- only cod.sandbox itself otherwise.
T.test("no stdlib module keeps its own copy of a checked or removed function", function()
  local code, list = T.run("find " .. q(T.source .. "/stdlib") .. " -name '*.lua'")
  T.eq(code, 0)
  local guarded = { "io%.open", "io%.output", "io%.popen", "io%.tmpfile", "os%.remove", "os%.rename", "os%.execute",
    "os%.tmpname", "package%.loadlib", "sys%.mkdir", "sys%.create_new", "sys%.remove_if_same", "sys%.remove_tree", "sys%.rename", "sys%.replace_dir",
    "sys%.lock_output", "loadfile", "dofile" }
  local found = {}
  for path in list:gmatch("[^\n]+") do
    local name = path:match("([^/]+/[^/]+)$")
    if not path:match("/cod/sandbox%.lua$") then
      local n = 0
      for line in io.lines(path) do
        n = n + 1
        local code_part = line:gsub("%-%-.*$", "")
        for _, g in ipairs(guarded) do
          -- A reference that is not a call: `x = io.open`, `{ io.open }`, `f(io.open)`.
          for pos in code_part:gmatch("()" .. g .. "%f[^%w_]") do
            local after = code_part:sub(pos):gsub("^[%w_%.]+", "")
            local allowed = path:match("/cod/plot%.lua$") and (g == "os%.execute" or g == "io%.popen")
            if not after:match("^%s*%(") and not after:match("^%s*[\"'{]") and not allowed then
              found[#found + 1] = ("%s:%d: %s"):format(name, n, line)
            end
          end
        end
      end
    end
  end
  T.eq(table.concat(found, "\n"), "", "copies of guarded functions")
end)

T.remove_tree(scratch)
T.done()
