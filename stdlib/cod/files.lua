--- cod.files: how codlua writes files. Every write goes through one checked writer (a
--- failed write, flush or close is an error naming the file and the reason), and report
--- folders are written atomically into a folder codlua owns:
---
--- * `claim_output(out)` checks `--out` before any computation (not a file, not a link, not
---   a folder with files codlua did not write, not holding an input, its parent writable)
---   and takes a lock so that one run at a time writes it;
--- * `atomic_dir(out, fill)` builds the report in `<out>.tmp-<pid>`, writes the marker
---   `.codlua-output` listing what it wrote, and puts the folder at `out` in one rename;
---   a previous report there is replaced only when its own marker shows it is codlua's,
---   and deleted file by file from that list (see docs/hardening.md, "Output folders").

local sys = require("cod.core.sys")
local errors = require("cod.errors")
local text = require("cod.text")

local M = {}

--- The marker file of codlua's output folders and its first line.
M.MARKER = ".codlua-output"
local MAGIC = "codlua-output v1"

-- Temporary folders being filled -> the user's --out, so messages name the user's path.
local shown = {}

--- `path` as the user knows it: a file inside a temporary output folder is named by the
--- --out folder it will be renamed to.
---@param path string
---@return string
function M.display(path)
  for tmp, out in pairs(shown) do
    if path:sub(1, #tmp) == tmp and (#path == #tmp or path:sub(#tmp + 1, #tmp + 1) == "/") then
      return out .. path:sub(#tmp + 1)
    end
  end
  return path
end

-- io.open's message starts with the path: keep only the reason.
local function reason(path, err)
  err = tostring(err)
  if err:sub(1, #path + 2) == path .. ": " then return err:sub(#path + 3) end
  return err
end

-- ------------------------------------------------------------------ the checked writer

---@class cod.files.Writer
---@field path string
---@field f file*|nil
local Writer = {}
Writer.__index = Writer

function Writer:fail(err)
  local f = self.f
  self.f = nil
  if f then pcall(f.close, f) end
  errors.user(("cannot write %s: %s"):format(text.printable(M.display(self.path)), reason(self.path, err)))
end

--- Write strings or numbers; a failure raises "cannot write FILE: reason".
function Writer:write(...)
  local ok, err = self.f:write(...)
  if not ok then self:fail(err) end
  return self
end

--- Flush and close; a failure (a full disk shows here) raises "cannot write FILE: reason".
function Writer:close()
  local f = self.f
  if not f then return end
  local ok, err = f:flush()
  if not ok then self:fail(err) end
  self.f = nil
  ok, err = f:close()
  if not ok then
    self.f = nil
    errors.user(("cannot write %s: %s"):format(text.printable(M.display(self.path)), reason(self.path, err)))
  end
end

-- Leaving a scope by an error closes the file quietly (the error is already on its way).
Writer.__close = function(self)
  if self.f then pcall(self.f.close, self.f) end
  self.f = nil
end

--- Open `path` for writing (replacing it) with checked writes. Close it with w:close()
--- (which checks the flush); declare it `<close>` so an error in between closes it too.
---@param path string
---@return cod.files.Writer
function M.open(path)
  local f, err = io.open(path, "wb")
  if not f then
    errors.user(("cannot write %s: %s"):format(text.printable(M.display(path)), reason(path, err)))
  end
  return M.writer(path, f)
end

--- A checked writer over a file already open for writing (see open).
---@param path string  the file's name, for messages
---@param f file*
---@return cod.files.Writer
function M.writer(path, f)
  return setmetatable({ path = path, f = f }, Writer)
end

--- Write the strings `...` to `path` (replacing it), every step checked.
---@param path string
---@param ... string
function M.write_text(path, ...)
  local w <close> = M.open(path)
  w:write(...)
  w:close()
end

--- Write the strings `...` to `path` through a new file `<path>.tmp-<pid>` and rename it
--- into place: a failed write leaves the old file (or none), never a half one. The temporary
--- file is created only where nothing is (sys.create_new), and on a failure it is deleted only
--- while its name still holds that very file (sys.remove_if_same), so the one file this may
--- delete is the one it made. Messages name `path`.
---@param path string
---@param ... string
function M.replace_file(path, ...)
  local tmp = path .. ".tmp-" .. sys.getpid()
  local f, err = sys.create_new(tmp)
  if not f then  -- nothing was created: nothing to remove
    errors.user(("cannot write %s: cannot create its temporary file %s: %s"):format(text.printable(path),
      text.printable(tmp), reason(tmp, err)))
  end
  shown[tmp] = path
  local made = assert(sys.file_id(f))  -- fstat of a file just opened
  local w = M.writer(tmp, f)
  local written, werr = pcall(function(...)
    w:write(...)
    w:close()
  end, ...)
  shown[tmp] = nil
  if not written then
    w:__close()
    sys.remove_if_same(tmp, made)
    error(werr, 0)
  end
  local ok, rerr = os.rename(tmp, path)
  if not ok then
    sys.remove_if_same(tmp, made)
    errors.user(("cannot write %s: %s"):format(text.printable(path), reason(tmp, rerr)))
  end
end

-- ------------------------------------------------------------------ CSV

--- One CSV cell: numbers with 10 significant digits (17 with `exact`), NaN and nil empty,
--- text quoted when it holds a comma, a quote or a line break.
---@param v any
---@param exact? boolean
---@return string
function M.csv_field(v, exact)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "" end
    if math.type(v) == "integer" then return tostring(v) end
    return (exact and "%.17g" or "%.10g"):format(v)
  end
  if type(v) == "boolean" then return v and "true" or "false" end
  v = tostring(v)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

--- One CSV cell of a report table: csv_field, after text.defuse_formula for text.
---@param v any
---@return string
function M.csv_cell(v)
  if type(v) == "string" then v = text.defuse_formula(v) end
  return M.csv_field(v)
end

--- Write a CSV table of a report: a header and rows given as tables keyed by the header's
--- names. Text cells a spreadsheet would run as formulas get a leading `'` (text.defuse_formula).
---@param path string
---@param header string[]
---@param rows table[]
function M.write_csv(path, header, rows)
  M.write_text(path, M.csv_text(header, rows))
end

--- The text of a CSV file (see write_csv), ready for write_text or replace_file.
---@param header string[]
---@param rows table[]
---@return string
function M.csv_text(header, rows)
  local lines, cells = { table.concat(header, ",") }, {}
  local cell = M.csv_cell
  for _, r in ipairs(rows) do
    for i, h in ipairs(header) do cells[i] = cell(r[h]) end
    lines[#lines + 1] = table.concat(cells, ",", 1, #header)
  end
  lines[#lines + 1] = ""
  return table.concat(lines, "\n")
end

-- ------------------------------------------------------------------ output folders

local claims = {}  -- normalised --out -> the claim this process holds on it

local function normalise(out)
  local key = out:gsub("/+$", "")
  if key == "" then key = "/" end
  return key
end

local function split(path)
  local dir, base = path:match("^(.*)/([^/]+)$")
  if not dir then return ".", path end
  if dir == "" then dir = "/" end
  return dir, base
end

local function shown_path(p)
  return "'" .. text.excerpt(p, 200) .. "'"
end

-- The nearest existing folder above `path` must be a folder this process may write in.
local function check_parent(key)
  local dir = split(key)
  while not sys.exists(dir) do
    local up = split(dir)
    if up == dir then break end
    dir = up
  end
  if not sys.is_dir(dir) then
    errors.user(("--out %s: %s is not a folder"):format(shown_path(key), shown_path(dir)))
  end
  if not sys.writable_dir(dir) then
    errors.user(("--out %s: cannot create files in %s (no write permission, or a read-only file system)"):format(
      shown_path(key), shown_path(dir)))
  end
end

local function check_state(key, when)
  local state, detail = sys.output_state(key)
  if state == nil then errors.user(detail) end
  if state == "notdir" then
    errors.user(("--out %s exists and is not a folder; give the name of a folder to write the report in"):format(
      shown_path(key)))
  elseif state == "symlink" then
    errors.user(("--out %s is a symbolic link; codlua writes only into a real folder"):format(shown_path(key)))
  elseif state == "foreign" then
    -- Reports of codlua versions before the marker look like this: say so, delete nothing.
    local legacy = not sys.exists(key .. "/" .. M.MARKER)
      and (sys.exists(key .. "/report.json") or sys.exists(key .. "/backtest.json"))
    errors.user(("--out %s %sholds files codlua did not write (%s); codlua replaces only a folder it wrote "
      .. "itself (marked by %s): choose a new or empty folder%s"):format(shown_path(key), when or "",
        shown_path(detail), M.MARKER, legacy and "; a report of a codlua older than this marker has none: delete "
          .. "it yourself to reuse its name" or ""))
  end
  return state
end

-- Temporary folders of earlier runs on this --out whose process is gone. Only called with
-- the lock held, so no live codlua run is writing them; remove_tree deletes nothing that
-- lacks codlua's marker.
local function clean_stale(key)
  local dir, base = split(key)
  local names = sys.list_dir(dir)
  if not names then return end
  local me = sys.getpid()
  for _, n in ipairs(names) do
    if n:sub(1, #base + 1) == base .. "." then
      local rest = n:sub(#base + 2)
      local pid = tonumber(rest:match("^tmp%-(%d+)$") or rest:match("^old%-(%d+)$"))
      if pid and pid ~= me and not sys.pid_alive(pid) then sys.remove_tree(dir .. "/" .. n) end
    end
  end
end

---@class cod.files.Claim
---@field out string
local Claim = {}
Claim.__index = Claim

--- Give up the claim (the lock file is deleted). Also runs when a `<close>` variable holding
--- the claim goes out of scope, error or not.
function Claim:release()
  if self.lock then
    self.lock:release()
    self.lock = nil
    claims[self.out] = nil
  end
end
Claim.__close = Claim.release

--- Check `out` before any computation and hold it for this run: raises a user error when
--- it is "" (usage), a file, a link, a folder with files codlua did not write, a folder
--- holding one of `opts.inputs`, under an unwritable folder, or being written by another
--- codlua run. Removes temporary folders that killed runs left next to it. Parent folders
--- that do not exist are created.
---@param out string
---@param opts? {inputs?: string[]}  input files and folders, which --out must not hold
---@return cod.files.Claim
function M.claim_output(out, opts)
  if type(out) ~= "string" or out == "" then errors.usage("--out needs a folder name, got an empty string") end
  if out:find("\0", 1, true) then errors.usage("--out contains a NUL byte") end
  local key = normalise(out)
  if claims[key] then return claims[key] end
  check_parent(key)
  local resolve = require("cod.core.sandbox").resolve
  local rout = resolve(key)
  for _, input in ipairs((opts or {}).inputs or {}) do
    local rin = resolve(input)
    if rout and rin and (rin == rout or rout == "/" or rin:sub(1, #rout + 1) == rout .. "/") then
      errors.user(("--out %s is or holds the input %s, and codlua replaces the --out folder: choose another folder")
        :format(shown_path(key), shown_path(input)))
    end
  end
  local lock, err, pid = sys.lock_output(key)
  if not lock then
    if err == "busy" then
      -- pid 0: the holder has its flock but has not written its pid yet
      local who = (pid and pid > 0) and ("another codlua run (pid %d)"):format(pid) or "another codlua run"
      errors.user(("%s is writing --out %s; wait for it to finish or choose another folder")
        :format(who, shown_path(key)))
    end
    errors.user(err)
  end
  local claim = setmetatable({ out = key, lock = lock }, Claim)
  local ok, e = pcall(check_state, key)
  if not ok then
    claim:release()
    error(e, 0)
  end
  claims[key] = claim
  clean_stale(key)
  return claim
end

-- List what `tmp` holds and mark it complete: the list is what a later run may delete.
local function seal(tmp)
  local tree, err = sys.list_tree(tmp)
  if not tree then errors.user(err) end
  for _, line in ipairs(tree) do
    local kind = line:sub(1, 1)
    if (kind ~= "f" and kind ~= "d") or line:find("\n", 1, true) then
      error(("cod.files: the report folder holds %q, which codlua does not write"):format(line), 0)
    end
  end
  M.write_text(tmp .. "/" .. M.MARKER, MAGIC, "\ncomplete\n", table.concat(tree, "\n"), #tree > 0 and "\n" or "")
end

local function commit(key, fill)
  local tmp = key .. ".tmp-" .. sys.getpid()
  if sys.exists(tmp) then
    local removed, rerr = sys.remove_tree(tmp)
    if not removed then errors.user(rerr) end
  end
  local made, merr = sys.mkdir(tmp)
  if not made then errors.user(merr) end
  shown[tmp] = key
  local ok, err = pcall(function()
    M.write_text(tmp .. "/" .. M.MARKER, MAGIC, "\nincomplete\n")
    fill(tmp)
    seal(tmp)
    check_state(key, "now ")
    local replaced, old = sys.replace_dir(tmp, key)
    if not replaced then errors.user(old) end
    if old then
      local removed, rerr = sys.remove_tree(old)
      if not removed then io.stderr:write("codlua: warning: ", text.printable(rerr), "\n") end
    end
  end)
  shown[tmp] = nil
  if not ok then
    if sys.exists(tmp) then sys.remove_tree(tmp) end
    error(err, 0)
  end
end

--- Build the folder `out` atomically: `fill(tmp)` writes into a temporary folder that
--- replaces `out` only when fill succeeds; on failure nothing is left and a previous
--- report at `out` is untouched. Uses the claim this process holds on `out`, or claims it.
---@param out string
---@param fill fun(tmp: string)
function M.atomic_dir(out, fill)
  local claim = claims[type(out) == "string" and out ~= "" and normalise(out) or ""]
  if claim then return commit(claim.out, fill) end
  local own <close> = M.claim_output(out)
  commit(own.out, fill)
end

--- Mean and maximum of a list of numbers (nil when empty): {mean, max, n}.
---@param v number[]
---@return {mean: number, max: number, n: integer}|nil
function M.stats(v)
  if #v == 0 then return nil end
  local sum, max = 0, -math.huge
  for _, x in ipairs(v) do
    sum = sum + x
    if x > max then max = x end
  end
  return { mean = sum / #v, max = max, n = #v }
end

return M
