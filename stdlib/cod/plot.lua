--- cod.plot: charts rendered by gnuplot (PNG and SVG).
---
--- Every chart first writes its data (`<base>.dat`) and script (`<base>.gp`), so a
--- report is complete without gnuplot; when gnuplot is on PATH the script is run
--- and `<base>.png` / `<base>.svg` appear.
---
---   local plot = require("cod.plot")
---   local r = plot.render{ output = "out/curve", title = "…", logx = true,
---     series = { { title = "observed", style = "points", points = {{1, 0.2}, {10, 0.5}} } } }
---   -- r.rendered, r.files, r.reason
---
--- A report draws many charts: `plot.batch()` collects them and renders them with one
--- gnuplot process per core, each on a share of them, at once (a chart that fails is then
--- found by rendering that process's charts one by one, and reported as render does).
---
---   local batch = plot.batch()
---   local r1 = batch:render(spec1)   -- data and script written now; r1 is filled by batch:run()
---   local r2 = batch:render(spec2)
---   batch:run()                      -- r1.rendered, r2.rendered, ...
---
--- `batch:start()` and `batch:finish()` split run() in two so the caller can work while
--- gnuplot draws; `plot.prewarm()` starts the gnuplot processes early (program start-up and
--- the PNG terminal's fonts, ~0.05 s each) on a core that would otherwise idle.

local checked = require("cod.files")

local M = {}

-- Captured when the module loads: cod.sandbox takes os.execute away from untrusted code
-- later, and the stdlib's own gnuplot call must keep working.
local execute = os.execute
local popen = io.popen
-- The host's libcodlua_fastpng (bindings/fastpng), captured like them: preloaded into the
-- gnuplot processes started here, it encodes their PNGs several times faster, same pixels.
local fastpng = package.codlua_fastpng
-- LD_PRELOAD splits its list at spaces and colons: such a path would not load, and a part of
-- it could name a file relative to the chart's folder. Charts then encode as gnuplot does.
if type(fastpng) ~= "string" or fastpng:find("[%s:]") then fastpng = nil end

local available_cache = nil

--- True when gnuplot can be run.
---@return boolean
function M.available()
  if available_cache == nil then
    local ok = execute("command -v gnuplot >/dev/null 2>&1")
    available_cache = ok == true
  end
  return available_cache
end

-- A gnuplot string literal. Single quotes: inside double quotes gnuplot runs `backquoted`
-- text as a shell command, and a line break would end the command and start another, so
-- a set or model name from a data file could run programs. Control characters become spaces.
local function gp_string(s)
  return "'" .. tostring(s):gsub("%c", " "):gsub("'", "''") .. "'"
end

local function fmt(v)
  if v ~= v or v == math.huge or v == -math.huge then return "NaN" end
  return string.format("%.10g", v)
end

---@class cod.plot.Series
---@field title string
---@field points number[][]        {x, y} pairs
---@field style? "points"|"lines"|"linespoints"|"dashed"
---@field color? string            e.g. "#1f77b4"

---@class cod.plot.Spec
---@field output string            path without extension
---@field title? string
---@field xlabel? string
---@field ylabel? string
---@field logx? boolean
---@field xrange? number[]         {min, max}
---@field yrange? number[]
---@field series cod.plot.Series[]
---@field vlines? {x: number, title: string}[]   vertical markers (e.g. the target compute)
---@field size? integer[]          pixels {w, h} (default 900 x 600)
---@field key? string              gnuplot key placement (default "left top")

-- Write a chart's data and script; its result, with `pending` = what running gnuplot needs
-- when it can run.
local function write_chart(spec)
  assert(type(spec.output) == "string", "plot.render: output path expected")
  local dat, gp = spec.output .. ".dat", spec.output .. ".gp"
  local files = { dat, gp }
  -- The script names its files relative to its own folder, so a report folder can be moved.
  local dir, base = spec.output:match("^(.*)/([^/]+)$")
  if not dir then dir, base = ".", spec.output end
  -- Data: one gnuplot index block per series.
  do
    local f <close> = checked.open(dat)
    for i, s in ipairs(spec.series) do
      f:write("# ", tostring(s.title or ("series " .. i)):gsub("%c", " "), "\n")
      for _, p in ipairs(s.points) do f:write(fmt(p[1]), " ", fmt(p[2]), "\n") end
      f:write("\n\n")
    end
    f:close()
  end
  local key = spec.key or "left top"
  -- Written into the script as is: plain words only (a quote or line break could inject commands).
  if type(key) ~= "string" or not key:match("^[%a ]+$") then
    error("plot.render: key must be gnuplot placement words such as 'left top', got " .. string.format("%q", tostring(key)), 3)
  end
  local w, h = 900, 600
  if spec.size then w, h = spec.size[1], spec.size[2] end
  local lines = {
    "# codlua chart; run in this folder with: gnuplot " .. base:gsub("%c", " ") .. ".gp",
    "reset",  -- a batch runs several charts in one gnuplot session
    "set datafile missing 'NaN'",
    "set key " .. key .. " box opaque",
    "set grid",
  }
  if spec.title then lines[#lines + 1] = "set title " .. gp_string(spec.title) end
  if spec.xlabel then lines[#lines + 1] = "set xlabel " .. gp_string(spec.xlabel) end
  if spec.ylabel then lines[#lines + 1] = "set ylabel " .. gp_string(spec.ylabel) end
  if spec.logx then lines[#lines + 1] = "set logscale x" end
  if spec.xrange then lines[#lines + 1] = ("set xrange [%s:%s]"):format(fmt(spec.xrange[1]), fmt(spec.xrange[2])) end
  if spec.yrange then lines[#lines + 1] = ("set yrange [%s:%s]"):format(fmt(spec.yrange[1]), fmt(spec.yrange[2])) end
  for i, v in ipairs(spec.vlines or {}) do
    lines[#lines + 1] = ("set arrow %d from %s, graph 0 to %s, graph 1 nohead dt 2 lc rgb '#888888'"):format(
      i, fmt(v.x), fmt(v.x))
    lines[#lines + 1] = ("set label %d %s at %s, graph 0.97 right offset -0.5,0 textcolor rgb '#555555'"):format(
      i, gp_string(v.title), fmt(v.x))
  end
  local plots = {}
  for i, s in ipairs(spec.series) do
    local style = s.style or "points"
    local with
    if style == "points" then
      with = "points pt 7 ps 0.9"
    elseif style == "lines" then
      with = "lines lw 2"
    elseif style == "dashed" then
      with = "lines lw 2 dt 2"
    else
      with = "linespoints pt 7 ps 0.7 lw 1.5"
    end
    if s.color then with = with .. " lc rgb " .. gp_string(s.color) end
    local title = s.title and ("title " .. gp_string(s.title)) or "notitle"
    plots[#plots + 1] = ("%s index %d using 1:2 with %s %s"):format(gp_string(base .. ".dat"), i - 1, with, title)
  end
  local body = "plot " .. table.concat(plots, ", \\\n     ")
  local script = table.concat(lines, "\n") .. "\n"
  script = script .. ("set terminal pngcairo size %d,%d noenhanced font ',10'\nset output %s\n%s\n"):format(
    w, h, gp_string(base .. ".png"), body)
  script = script .. ("set terminal svg size %d,%d noenhanced font 'sans,10' background '#ffffff'\nset output %s\n%s\nunset output\n")
    :format(w, h, gp_string(base .. ".svg"), body)
  checked.write_text(gp, script)
  if #spec.series == 0 then return { rendered = false, files = files, reason = "no data to plot" } end
  if not M.available() then
    return { rendered = false, files = files, reason = "gnuplot is not installed; the data and script were written" }
  end
  return { rendered = false, files = files, pending = { dir = dir, base = base, output = spec.output, gp = gp } }
end

local function shell_quote(x) return "'" .. x:gsub("'", "'\\''") .. "'" end

-- The shell command that starts gnuplot: with libcodlua_fastpng preloaded (after any preload
-- of the user's) unless `plain`.
local function gnuplot_command(plain)
  if plain or not fastpng then return "gnuplot" end
  return "LD_PRELOAD=" .. shell_quote(fastpng) .. '"${LD_PRELOAD:+ $LD_PRELOAD}" gnuplot'
end

-- Run gnuplot in its folder on one chart's script; true when it exited 0. `plain`: without
-- libcodlua_fastpng (a chart redrawn after its batch process failed).
local function run_alone(pending, plain)
  return execute("cd " .. shell_quote(pending.dir) .. " && " .. gnuplot_command(plain) .. " " ..
    shell_quote(pending.base .. ".gp") .. " >/dev/null 2>&1") == true
end

local function readable(path)
  local f = io.open(path, "rb")
  if not f then return false end
  f:close()
  return true
end

-- A chart's outcome once its gnuplot run ended (`ran`: the run exited 0): rendered when both
-- images are there.
local function settle(r, ran)
  local p = r.pending
  r.pending = nil
  if ran and readable(p.output .. ".png") and readable(p.output .. ".svg") then
    r.rendered = true
    r.reason = nil
    r.files[#r.files + 1] = p.output .. ".png"
    r.files[#r.files + 1] = p.output .. ".svg"
  else
    r.rendered = false
    r.reason = "gnuplot failed on " .. p.gp
  end
  return r
end

--- Write the data and gnuplot script of a chart and render PNG and SVG when possible.
---@param spec cod.plot.Spec
---@return {rendered: boolean, files: string[], reason?: string}
function M.render(spec)
  local r = write_chart(spec)
  if not r.pending then return r end
  return settle(r, run_alone(r.pending))
end

--- batch:render(spec) when a batch is given, else render(spec).
---@param batch cod.plot.Batch|nil
---@param spec cod.plot.Spec
function M.render_in(batch, spec)
  if batch then return batch:render(spec) end
  return M.render(spec)
end

-- ------------------------------------------------------------------ gnuplot processes fed by a pipe

-- A gnuplot process reading commands on its standard input. When gnuplot exits early, the
-- shell drains what it left unread, so a later write never meets a closed pipe (SIGPIPE would
-- end codlua); the shell's exit status is gnuplot's. The first command notes gnuplot's start
-- folder, to which each chart's `cd` is relative.
local function spawn()
  local p = popen(gnuplot_command() .. " >/dev/null 2>&1; s=$?; cat >/dev/null; exit $s", "w")
  if p and not (p:write("codlua_home = GPVAL_PWD\n") and p:flush()) then
    p:close()
    return nil
  end
  return p
end

-- What a warm process draws first: the PNG terminal loads its fonts on its first chart
-- (most of gnuplot's start-up); a tiny image costs little to encode.
local warm_up = "set terminal pngcairo size 16,16 noenhanced font ',10'\nset output '/dev/null'\n" ..
  "plot [0:1] x title 'warm'\nunset output\n"

local warm = {}  -- processes started by M.prewarm that no batch has taken yet

--- Start `processes` gnuplot processes now (default: cod.parallel's worker count), with the
--- PNG terminal's fonts loaded; the next batch:start() gives them its charts. Nothing happens
--- without gnuplot. Processes no batch takes end when codlua exits.
---@param processes? integer
function M.prewarm(processes)
  if not M.available() then return end
  processes = math.min(processes or require("cod.parallel").threads(), 256)
  while #warm < processes do
    local p = spawn()
    if not p then return end
    if not (p:write(warm_up) and p:flush()) then
      p:close()
      return
    end
    warm[#warm + 1] = p
  end
end

-- A chart's commands for a piped gnuplot, or nil when its folder or name cannot be written
-- as a gnuplot literal unchanged (a control character: gp_string would alter it).
local function pipe_commands(r)
  local p = r.pending
  if p.dir:find("%c") or p.base:find("%c") then return nil end
  return "cd codlua_home\ncd " .. gp_string(p.dir) .. "\nload " .. gp_string(p.base .. ".gp") .. "\n"
end

---@class cod.plot.Batch  charts written now and rendered together by batch:run()
local Batch = {}
Batch.__index = Batch

--- A batch of charts rendered together by batch:run().
---@return cod.plot.Batch
function M.batch()
  return setmetatable({ charts = {} }, Batch)
end

-- Give a chart to a gnuplot process: a new one (a warm one of plot.prewarm first) while
-- fewer than `processes` run, else the next in turn; or, when gnuplot is missing or a pipe
-- cannot name the chart, a run of its own at finish().
local function dispatch(self, r)
  local commands = pipe_commands(r)
  if not commands or not M.available() then
    self.runs[#self.runs + 1] = { charts = { r }, sent = false }
    return
  end
  local run
  if #self.piped < self.processes then
    local p = table.remove(warm, 1) or spawn()
    run = { process = p, charts = {}, sent = p ~= nil }
    self.runs[#self.runs + 1] = run
    self.piped[#self.piped + 1] = run
  else
    self.turn = self.turn % #self.piped + 1
    run = self.piped[self.turn]
  end
  run.charts[#run.charts + 1] = r
  run.sent = run.sent and run.process:write(commands) and run.process:flush() and true or false
end

--- Write a chart's data and script now; its result table is completed by batch:run() (or
--- batch:finish()). After batch:start() the chart goes at once to a gnuplot process.
---@param spec cod.plot.Spec
---@return {rendered: boolean, files: string[], reason?: string}
function Batch:render(spec)
  local r = write_chart(spec)
  if not r.pending then return r end
  if self.runs then dispatch(self, r) else self.charts[#self.charts + 1] = r end
  return r
end

--- Start rendering and return at once: up to `processes` gnuplot processes (default:
--- cod.parallel's worker count; plot.prewarm's warm ones first), each started with the first
--- chart it gets; the charts already written and each one written later go to them in turn.
--- batch:finish() waits for them.
---@param processes? integer
function Batch:start(processes)
  assert(not self.runs, "plot batch: start() called twice")
  self.processes = math.min(math.max(1, processes or require("cod.parallel").threads()), 256)
  self.runs, self.piped, self.turn = {}, {}, 0
  local charts = self.charts
  self.charts = {}
  for _, r in ipairs(charts) do dispatch(self, r) end
end

--- Wait for the gnuplot processes of batch:start() and complete the charts' results; a
--- process that failed has its charts rendered again one by one, so each failure is reported
--- on its own chart.
function Batch:finish()
  if not self.runs then self:start() end
  local runs = self.runs
  self.runs, self.piped = nil, nil
  for _, run in ipairs(runs) do
    local exited_ok = false
    if run.process then
      if run.sent then run.sent = run.process:write("exit\n") and run.process:flush() and true or false end
      exited_ok = run.process:close() == true
    end
    if run.sent and exited_ok then
      for _, r in ipairs(run.charts) do settle(r, true) end
    else
      for _, r in ipairs(run.charts) do settle(r, run_alone(r.pending, true)) end
    end
  end
end

-- A batch left without finish() (an error while the report was written): its processes are
-- told their input ended and waited for, so none still writes into a folder being removed.
Batch.__close = function(self)
  for _, run in ipairs(self.runs or {}) do
    if run.process then run.process:close() end
  end
  self.runs, self.piped = nil, nil
end

--- Render every pending chart (batch:start() then batch:finish()).
---@param processes? integer
function Batch:run(processes)
  if not self.runs and #self.charts == 0 then return end
  self:start(processes)
  self:finish()
end

return M
