-- --sandbox: writes cannot leave the write roots through links placed inside them
-- (dangling or not, to a file or a folder), hard links to outside files, or "..".
-- A trusted script turns the sandbox on with one write root and tries every route; the
-- test then checks that nothing outside changed. (cod.core.sandbox opens every folder on
-- the way with O_NOFOLLOW and creates files relative to it, so a link swapped in between
-- the check and the open is refused too: there is no separate check to race.)
local T = require("testlib")
local sys = require("cod.core.sys")
local q = T.shell_quote

local scratch = T.scratch()

local write = T.write
local slurp = T.slurp

local probe = [==[
local out = arg[1]
require("cod.sandbox").enable({ write = { out } })
local function try(name, f)
  local ok, res = pcall(f)
  print(("PROBE %s %s %s"):format(name, tostring(ok), tostring(res):gsub("\n", " ")))
end
local function put(path, mode)
  return function()
    local f, err = io.open(path, mode or "w")
    if not f then return "open failed: " .. tostring(err) end
    f:write("escaped")
    f:close()
    return "written"
  end
end
try("dangling", put(out .. "/dangling"))
try("dangling_append", put(out .. "/dangling", "a"))
try("file_link", put(out .. "/file_link"))
try("dir_link", put(out .. "/dir_link/x.txt"))
try("hard_link", put(out .. "/hard"))
try("hard_link_append", put(out .. "/hard", "a+"))
try("dotdot", put(out .. "/../escape.txt"))
try("dotdot_deep", put(out .. "/sub/../../escape2.txt"))
try("io.output", function() return io.output(out .. "/dangling") end)
try("mkdir_dangling", function() return require("cod.core.sys").mkdir(out .. "/dangling") end)
try("mkdir_via_link", function() return require("cod.core.sys").mkdir(out .. "/dir_link/newdir") end)
try("remove_via_link", function() return os.remove(out .. "/dir_link/victim2.txt") end)
try("rename_via_link", function() return os.rename(out .. "/ok_src.txt", out .. "/dir_link/moved.txt") end)
try("files.write_text", function() return require("cod.files").write_text(out .. "/dangling", "escaped") end)
try("create_new_via_link", function()
  local f, err = require("cod.core.sys").create_new(out .. "/dir_link/created.txt")
  if f then f:close() return "created" end
  return tostring(err)
end)
try("create_new_outside", function() return require("cod.core.sys").create_new(out .. "/../created2.txt") end)
try("remove_if_same_outside", function()
  return require("cod.core.sys").remove_if_same(out .. "/../victim3.txt", "0:0")
end)
try("replace_file_inside", function()
  require("cod.files").replace_file(out .. "/table.csv", "a,b\n")
  return "written"
end)
try("fifo", put(out .. "/fifo"))
try("inside", put(out .. "/ok.txt"))
try("inside_sub", function()
  assert(require("cod.core.sys").mkdir(out .. "/sub/deeper"))
  return put(out .. "/sub/deeper/ok.txt")()
end)
]==]

T.test("--sandbox: links, hard links and .. cannot carry a write outside the root", function()
  local dir = scratch .. "/escape"
  local out, outside = dir .. "/out", dir .. "/outside"
  assert(sys.mkdir(out))
  assert(sys.mkdir(outside))
  write(dir .. "/victim.txt", "keep me")
  write(outside .. "/victim2.txt", "keep me too")
  write(out .. "/ok_src.txt", "mine")
  local setup = table.concat({
    "ln -s " .. q(dir .. "/evil_dangling") .. " " .. q(out .. "/dangling"),
    "ln -s " .. q(dir .. "/victim.txt") .. " " .. q(out .. "/file_link"),
    "ln -s " .. q(outside) .. " " .. q(out .. "/dir_link"),
    "ln " .. q(dir .. "/victim.txt") .. " " .. q(out .. "/hard"),
    "mkfifo " .. q(out .. "/fifo"),
  }, " && ")
  T.eq(T.run(setup), 0, "links made")
  local script = dir .. "/probe.lua"
  write(script, probe)
  local code, stdout, stderr = T.run(("timeout 60 %s %s %s"):format(q(T.codlua), q(script), q(out)))
  T.eq(code, 0, stderr)
  local p = {}
  for name, ok, msg in stdout:gmatch("PROBE (%S+) (%S+) ([^\n]*)") do p[name] = { ok = ok == "true", msg = msg } end
  local denied = "is not allowed by %-%-sandbox"
  for _, name in ipairs({ "dangling", "dangling_append", "file_link", "dir_link", "hard_link", "hard_link_append",
    "dotdot", "dotdot_deep", "io.output", "mkdir_dangling", "mkdir_via_link", "remove_via_link", "rename_via_link",
    "files.write_text", "create_new_via_link", "create_new_outside", "remove_if_same_outside" }) do
    T.truthy(p[name] and not p[name].ok and p[name].msg:find(denied), name .. ": " .. tostring(p[name] and p[name].msg))
  end
  T.truthy(p.dangling.msg:find("it is a symbolic link"), p.dangling.msg)
  T.truthy(p.hard_link.msg:find("it has other hard links"), p.hard_link.msg)
  -- A FIFO is not opened for writing (no hang waiting for a reader; refused or ENXIO).
  T.truthy(p.fifo and p.fifo.msg ~= "written", "fifo: " .. tostring(p.fifo and p.fifo.msg))
  T.eq(p.inside.msg, "written")
  T.eq(p.inside_sub.msg, "written")
  T.eq(p.replace_file_inside.msg, "written")
  T.eq(slurp(out .. "/table.csv"), "a,b\n")
  -- Nothing outside changed.
  T.eq(slurp(dir .. "/victim.txt"), "keep me")
  T.eq(slurp(outside .. "/victim2.txt"), "keep me too")
  for _, f in ipairs({ dir .. "/evil_dangling", outside .. "/x.txt", outside .. "/newdir", outside .. "/moved.txt", outside .. "/created.txt", dir .. "/created2.txt",
    dir .. "/escape.txt", scratch .. "/escape2.txt", dir .. "/escape2.txt" }) do
    T.truthy(not sys.exists(f), f .. " must not exist")
  end
  T.eq(slurp(out .. "/ok.txt"), "escaped")
end)

T.test("a sandboxed recipe deletes nothing of the user's: --out is claimed before any recipe runs", function()
  -- The sandbox lets os.remove act only under --out (and codlua's own DIR.tmp-<pid> and
  -- DIR.old-<pid>); --out is checked and locked before the recipe is loaded, so a folder
  -- holding a user's file stops the run first, and outside --out removal is refused.
  local dir = scratch .. "/claim"
  local out = dir .. "/project"
  assert(sys.mkdir(out))
  write(out .. "/notes.txt", "mine")
  write(dir .. "/sibling.txt", "mine too")
  write(dir .. "/evil.lua", ([[
os.remove(%q)
os.remove(%q)
return require("cod.recipes").get("cod")
]]):format(out .. "/notes.txt", dir .. "/sibling.txt"))
  local base = T.source .. "/tests/bad/base"
  local function run(o)
    return T.run(("cd %s && timeout 120 %s --sandbox predict --data %s --no-backtest --recipe %s --out %s")
      :format(q(dir), q(T.codlua), q(base), q(dir .. "/evil.lua"), q(o)))
  end
  local code, _, err = run(out)
  T.eq(code, 1, err)
  T.truthy(err:find("holds files codlua did not write", 1, true), err)
  T.eq(slurp(out .. "/notes.txt"), "mine")
  -- A new --out: the recipe runs, and its removal outside --out is refused.
  code, _, err = run(dir .. "/fresh")
  T.truthy(code ~= 0, "the recipe's refused removal ends the run")
  T.truthy(err:find("is not allowed by %-%-sandbox"), err)
  T.eq(slurp(dir .. "/sibling.txt"), "mine too")
  T.eq(slurp(out .. "/notes.txt"), "mine")
end)

T.remove_tree(scratch)
T.done()
