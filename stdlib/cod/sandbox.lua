--- cod.sandbox: run Lua code you did not write (a recipe file, a script) so that it cannot
--- start programs, load native code, or write, rename or delete files outside the folders
--- it is given. `codlua --sandbox ...` turns it on (see docs/hardening.md for the threat
--- model and its limits: this is a Lua-level sandbox over a trusted stdlib, in one process).
---
---   local sandbox = require("cod.sandbox")
---   sandbox.enable({ write = { "out", "out.tmp-123" } })
---   local chunk = sandbox.loadfile("their_recipe.lua")   -- runs in sandbox.env
---
--- Two layers:
--- 1. Untrusted chunks (everything loaded by load/loadfile/dofile, the host's script and
---    -e strings, modules found outside the stdlib folder) run in `sandbox.env`, a separate
---    global table with copies of the safe libraries. Changing them changes nothing the
---    stdlib uses.
--- 2. The capabilities themselves are narrowed in the real globals too, for the stdlib's
---    sake (a recipe may call stdlib functions that write where they are told): io.open
---    for writing, io.output, os.remove, os.rename and cod.core.sys's mkdir, create_new,
---    remove_if_same, remove_tree, rename, replace_dir and lock_output check their paths, and the writes follow no
---    symbolic link (cod.core.sandbox opens relative to the folder, O_NOFOLLOW); os.execute, io.popen, os.tmpname, io.tmpfile and
---    package.loadlib raise; C searchers are gone; load is text-only. cod.plot captured
---    os.execute and io.popen when it loaded, before this, so the stdlib's own gnuplot calls still run.

local core = require("cod.core.sandbox")
local sys = require("cod.core.sys")

local M = {}

-- Everything the checks use is captured now: untrusted code never sees these tables,
-- and the checks do not depend on anything it could change.
local G = _G
local io_open, io_output = io.open, io.output
local os_remove, os_rename = os.remove, os.rename
local orig_load, orig_loadfile = load, loadfile
local error, type, tostring, pairs, ipairs, select, rawget = error, type, tostring, pairs, ipairs, select, rawget
local setmetatable, getmetatable = setmetatable, getmetatable
local sfind, ssub, sformat, sgsub = string.find, string.sub, string.format, string.gsub
local tconcat = table.concat
local searchpath = package.searchpath
local resolve = core.resolve
local core_open, core_mkdir, core_remove, core_rename, core_check = core.open, core.mkdir, core.remove, core.rename,
  core.check
local sys_mkdir, sys_remove_tree, sys_rename = sys.mkdir, sys.remove_tree, sys.rename
local sys_replace_dir, sys_lock_output, sys_create_new = sys.replace_dir, sys.lock_output, sys.create_new
local sys_remove_if_same = sys.remove_if_same

-- Module state lives in locals: untrusted code can require this module and change its
-- table's fields, so no check may look anything up through `M`.
local state = { enabled = false, roots = {}, shown = {}, stdlib = nil }
local sandbox_env = nil

--- The message every refused capability raises.
local DENIED = "%s is not allowed by --sandbox"

local function refuse(what)
  return function() error(sformat(DENIED, what), 2) end
end

-- ------------------------------------------------------------------ path checks

local function within(abs, root)
  return abs == root or root == "/" or ssub(abs, 1, #root + 1) == root .. "/"
end

-- True when `path` may be written: its folder resolves (symlinks of its existing part
-- followed, "." and ".." removed) to a write root or below one. The write itself then
-- follows no link at all (cod.core.sandbox.open).
local function may_write(path)
  if type(path) == "number" then path = tostring(path) end
  if type(path) ~= "string" then return false end
  return core_check(path, state.roots) == true
end

--- True when `path` may be written under the sandbox: its folder resolves (symlinks of its
--- existing part followed, "." and ".." removed) to a write root or below one.
---@param path string
---@return boolean
function M.may_write(path)
  return may_write(path)
end

local function where()
  if #state.shown == 0 then return "this run may not write files: it has no --out folder" end
  local q = {}
  for i, r in ipairs(state.shown) do q[i] = "'" .. r .. "'" end
  return "writes are allowed only under " .. tconcat(q, " and ")
end

-- Raise at the caller of the checked function (level 3 from here).
local function refuse_write(fname, path, why)
  local because = (why and why ~= "outside") and (": " .. why) or ""
  error(sformat("%s: writing '%s' is not allowed by --sandbox (%s%s)", fname, tostring(path), where(), because), 3)
end

local function check_write(fname, path)
  if type(path) ~= "string" and type(path) ~= "number" then return end  -- the original raises its own error
  local ok, why = core_check(tostring(path), state.roots)
  if not ok then refuse_write(fname, path, why) end
end

-- The writes themselves run in cod.core.sandbox: the file is opened relative to its folder,
-- and no symbolic link is followed on the way (see docs/hardening.md).
local function checked_open(path, mode)
  -- Modes with w, a or + create or change a file; plain r/rb only read.
  if type(mode) == "string" and sfind(mode, "[wa+]") and (type(path) == "string" or type(path) == "number") then
    local f, err, code = core_open(tostring(path), mode, state.roots)
    if code == "denied" then refuse_write("io.open", path, err) end
    return f, err, code
  end
  return io_open(path, mode)
end

local function checked_create_new(path)
  if type(path) ~= "string" then return sys_create_new(path) end
  local f, err, code = core_open(path, "wx", state.roots)
  if code == "denied" then refuse_write("sys.create_new", path, err) end
  return f, err, code
end

local function checked_output(file)
  if type(file) == "string" or type(file) == "number" then
    local f, err, code = core_open(tostring(file), "w", state.roots)
    if code == "denied" then refuse_write("io.output", file, err) end
    if not f then error(err, 2) end
    return io_output(f)
  end
  if file == nil then return io_output() end
  return io_output(file)
end

local function checked_remove(path)
  if type(path) ~= "string" and type(path) ~= "number" then return os_remove(path) end
  local ok, err, code = core_remove(tostring(path), state.roots)
  if code == "denied" then refuse_write("os.remove", path, err) end
  return ok, err, code
end

local function checked_rename(from, to)
  if (type(from) ~= "string" and type(from) ~= "number") or (type(to) ~= "string" and type(to) ~= "number") then
    return os_rename(from, to)
  end
  check_write("os.rename", from)
  local ok, err, code = core_rename(tostring(from), tostring(to), state.roots)
  if code == "denied" then refuse_write("os.rename", to, err) end
  return ok, err, code
end

local function checked_mkdir(path)
  if type(path) ~= "string" then return sys_mkdir(path) end
  local ok, err, code = core_mkdir(path, state.roots)
  if code == "denied" then refuse_write("sys.mkdir", path, err) end
  if not ok then return nil, "cannot create folder " .. err end
  return true
end

local function checked_remove_tree(path)
  check_write("sys.remove_tree", path)
  return sys_remove_tree(path)
end

local function checked_remove_if_same(path, id)
  check_write("sys.remove_if_same", path)
  return sys_remove_if_same(path, id)
end

local function checked_sys_rename(from, to)
  if type(from) ~= "string" or type(to) ~= "string" then return sys_rename(from, to) end
  check_write("sys.rename", from)
  local ok, err, code = core_rename(from, to, state.roots)
  if code == "denied" then refuse_write("sys.rename", to, err) end
  if not ok then return nil, "cannot rename " .. err end
  return true
end

local function checked_replace_dir(tmp, out)
  check_write("sys.replace_dir", tmp)
  check_write("sys.replace_dir", out)
  return sys_replace_dir(tmp, out)
end

local function checked_lock_output(out)
  check_write("sys.lock_output", out)
  return sys_lock_output(out)
end

-- ------------------------------------------------------------------ loading

local function text_load(chunk, name, _, ...)
  -- Binary chunks are refused: malformed bytecode can break the VM's memory safety.
  if select("#", ...) > 0 then return orig_load(chunk, name, "t", (...)) end
  return orig_load(chunk, name, "t", sandbox_env)
end

local function text_loadfile(filename, _, ...)
  if select("#", ...) > 0 then return orig_loadfile(filename, "t", (...)) end
  return orig_loadfile(filename, "t", sandbox_env)
end

local function text_dofile(filename)
  local chunk, err = orig_loadfile(filename, "t", sandbox_env)
  if not chunk then error(err, 2) end
  return chunk()
end

-- A file of the stdlib folder: trusted, runs with the real globals.
local function trusted_file(file)
  if not state.stdlib then return false end
  local abs = resolve(file)
  return abs ~= nil and within(abs, state.stdlib)
end

-- Replaces package.searchers[2]: text only; stdlib files get the real globals, any
-- other file the sandbox's.
local function lua_searcher(name)
  local file, err = searchpath(name, G.package.path)
  if not file then return "\n\t" .. tostring(err) end
  local chunk, lerr = orig_loadfile(file, "t", trusted_file(file) and G or sandbox_env)
  if not chunk then
    error(sformat("error loading module '%s' from file '%s':\n\t%s", name, file, lerr), 2)
  end
  return chunk, file
end

-- ------------------------------------------------------------------ the sandbox's globals

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function build_env()
  local env = {}
  for _, k in ipairs({ "assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
    "print", "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
    "warn", "xpcall", "_VERSION" }) do
    env[k] = G[k]
  end
  env.string, env.table, env.math = copy(string), copy(table), copy(math)
  env.utf8, env.coroutine = copy(utf8), copy(coroutine)
  env.os = {
    clock = os.clock, date = os.date, difftime = os.difftime, time = os.time,
    remove = checked_remove, rename = checked_rename,
    execute = refuse("os.execute"), tmpname = refuse("os.tmpname"), exit = refuse("os.exit"),
    getenv = refuse("os.getenv"), setlocale = refuse("os.setlocale"),
  }
  env.io = {
    open = checked_open, output = checked_output, lines = io.lines, input = io.input, read = io.read,
    write = io.write, close = io.close, type = io.type, stdin = io.stdin, stdout = io.stdout, stderr = io.stderr,
    popen = refuse("io.popen"), tmpfile = refuse("io.tmpfile"),
  }
  env.debug = { traceback = debug.traceback }
  env.load, env.loadfile, env.dofile = text_load, text_loadfile, text_dofile
  local loaded = {
    string = env.string, table = env.table, math = env.math, utf8 = env.utf8, coroutine = env.coroutine,
    os = env.os, io = env.io, debug = env.debug, _G = env,
  }
  env.package = {
    path = G.package.path, cpath = "", config = package.config, loaded = loaded, preload = {},
    searchpath = searchpath, loadlib = refuse("package.loadlib"),
  }
  loaded.package = env.package
  local stdlib_path = state.stdlib and (state.stdlib .. "/?.lua;" .. state.stdlib .. "/?/init.lua") or nil
  env.require = function(name)
    if type(name) ~= "string" then
      error(sformat("bad argument #1 to 'require' (string expected, got %s)", type(name)), 2)
    end
    local have = loaded[name]
    if have ~= nil then return have end
    -- The engine's C modules and the stdlib's files load trusted, once, for everyone.
    if rawget(G.package.preload, name) ~= nil or (stdlib_path and searchpath(name, stdlib_path)) then
      return G.require(name)
    end
    local path = env.package.path
    local file, err = searchpath(name, type(path) == "string" and path or "")
    if not file then error(sformat("module '%s' not found:\n\t%s", name, tostring(err)), 2) end
    local chunk, lerr = orig_loadfile(file, "t", env)
    if not chunk then error(sformat("error loading module '%s' from file '%s':\n\t%s", name, file, lerr), 2) end
    local r = chunk(name, file)
    if r ~= nil then loaded[name] = r elseif loaded[name] == nil then loaded[name] = true end
    return loaded[name], file
  end
  env.arg = type(G.arg) == "table" and copy(G.arg) or nil
  env._G = env
  return env
end

-- ------------------------------------------------------------------ enable

--- True once enable() has run.
---@return boolean
function M.enabled()
  return state.enabled
end

--- The folders this run may write under (absolute, resolved).
---@return string[]
function M.write_roots()
  return copy(state.roots)
end

--- Turn the sandbox on for the rest of the process (it cannot be turned off).
---@param opts? {write?: string[], stdlib?: string}  folders writes may go under; the stdlib folder (default package.codlua_stdlib)
function M.enable(opts)
  opts = opts or {}
  if state.enabled then error("cod.sandbox is already enabled", 2) end
  if opts.write ~= nil and type(opts.write) ~= "table" then
    error(sformat("bad option 'write' to 'enable' (table of folders expected, got %s)", type(opts.write)), 2)
  end
  -- Trusted modules that capture a capability must load before it is taken away.
  G.require("cod.plot")
  local stdlib = opts.stdlib or G.package.codlua_stdlib
  state.stdlib = type(stdlib) == "string" and resolve(stdlib) or nil
  for _, w in ipairs(opts.write or {}) do
    local abs, err = resolve(w)
    if not abs then error(sformat("cod.sandbox: bad write folder '%s': %s", tostring(w), tostring(err)), 2) end
    state.roots[#state.roots + 1] = abs
    state.shown[#state.shown + 1] = tostring(w)
  end

  -- The real globals: the stdlib keeps running with these, narrowed.
  io.open, io.output = checked_open, checked_output
  io.popen, io.tmpfile = refuse("io.popen"), refuse("io.tmpfile")
  os.remove, os.rename = checked_remove, checked_rename
  os.execute, os.tmpname = refuse("os.execute"), refuse("os.tmpname")
  sys.mkdir, sys.remove_tree, sys.rename = checked_mkdir, checked_remove_tree, checked_sys_rename
  sys.replace_dir, sys.lock_output, sys.create_new = checked_replace_dir, checked_lock_output, checked_create_new
  sys.remove_if_same = checked_remove_if_same
  package.loadlib = refuse("package.loadlib")
  package.cpath = ""
  package.searchers = { package.searchers[1], lua_searcher }
  G.load, G.loadfile, G.dofile = text_load, text_loadfile, text_dofile
  local small_debug = { traceback = debug.traceback }
  G.debug = small_debug
  package.loaded.debug = small_debug
  -- Shared metatables: without a lock, untrusted code could reach the real string library
  -- through getmetatable("").__index, or replace every file's write method.
  getmetatable("").__metatable = "locked by cod.sandbox"
  getmetatable(io.stdout).__metatable = "locked by cod.sandbox"

  sandbox_env = build_env()
  M.env = sandbox_env
  state.enabled = true
end

--- Enable for a host run: `command` is the codlua command (nil for a script) and `argv`
--- its arguments. A command's `--out DIR` (and the `DIR.tmp-<pid>` its writer renames from,
--- and `DIR.old-<pid>` where a file system without an atomic exchange puts the previous
--- report for a moment) become the write roots.
---@param command string|nil
---@param argv string[]
function M.enable_for(command, argv)
  local roots = {}
  if type(command) == "string" then
    local ok, mod = pcall(G.require, "cod.cli." .. command)
    if ok and type(mod) == "table" and type(mod.spec) == "table" then
      local o = require("cod.args").parse(mod.spec, argv or {})
      if o and type(o.out) == "string" and o.out ~= "" then
        local bare = sgsub(o.out, "/+$", "")
        roots[1] = o.out
        roots[2] = bare .. ".tmp-" .. sys.getpid()
        roots[3] = bare .. ".old-" .. sys.getpid()
      end
    end
  end
  M.enable({ write = roots })
end

--- Load a file as an untrusted chunk (text only, in sandbox.env).
---@param path string
---@return function|nil chunk, string|nil err
function M.loadfile(path)
  return orig_loadfile(path, "t", sandbox_env)
end

return M
