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
--- A report draws many charts: `plot.batch()` collects them and renders a folder's charts
--- with one gnuplot process per core, each on a share of them, at once (a chart that fails
--- is then found by rendering the folder's charts one by one, and reported as render does).
---
---   local batch = plot.batch()
---   local r1 = batch:render(spec1)   -- data and script written now; r1 is filled by batch:run()
---   local r2 = batch:render(spec2)
---   batch:run()                      -- r1.rendered, r2.rendered, ...

local checked = require("cod.files")

local M = {}

-- Captured when the module loads: cod.sandbox takes os.execute away from untrusted code
-- later, and the stdlib's own gnuplot call must keep working.
local execute = os.execute

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

-- Run gnuplot in `dir` on the scripts of `charts` (their `pending` parts): `processes`
-- gnuplot processes at once (default 1), each on a contiguous share of the charts in order.
-- True only when every process exited 0.
local function run_gnuplot(dir, charts, processes)
  local n = math.max(1, math.min(processes or 1, #charts))
  local commands = {}
  for g = 1, n do
    local scripts = {}
    for i = math.floor((g - 1) * #charts / n) + 1, math.floor(g * #charts / n) do
      scripts[#scripts + 1] = shell_quote(charts[i].pending.base .. ".gp")
    end
    commands[g] = "gnuplot " .. table.concat(scripts, " ") .. " >/dev/null 2>&1"
  end
  -- The first n-1 run in the background; `wait PID` gives each one's exit status.
  local parts, checks = {}, {}
  for g = 1, n - 1 do
    parts[#parts + 1] = commands[g] .. " & p" .. g .. "=$!;"
    checks[#checks + 1] = "wait $p" .. g
  end
  parts[#parts + 1] = commands[n] .. "; s=$?;"
  checks[#checks + 1] = "[ $s -eq 0 ]"
  local ok = execute("cd " .. shell_quote(dir) .. " && { " .. table.concat(parts, " ") .. " " ..
    table.concat(checks, " && ") .. "; }")
  return ok == true
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
  return settle(r, run_gnuplot(r.pending.dir, { r }))
end

--- batch:render(spec) when a batch is given, else render(spec).
---@param batch cod.plot.Batch|nil
---@param spec cod.plot.Spec
function M.render_in(batch, spec)
  if batch then return batch:render(spec) end
  return M.render(spec)
end

---@class cod.plot.Batch  charts written now and rendered together by batch:run()
local Batch = {}
Batch.__index = Batch

--- A batch of charts rendered together by batch:run().
---@return cod.plot.Batch
function M.batch()
  return setmetatable({ charts = {} }, Batch)
end

--- Write a chart's data and script now; its result table is completed by batch:run().
---@param spec cod.plot.Spec
---@return {rendered: boolean, files: string[], reason?: string}
function Batch:render(spec)
  local r = write_chart(spec)
  if r.pending then self.charts[#self.charts + 1] = r end
  return r
end

--- Render every pending chart: per folder, `processes` gnuplot processes at once (default:
--- cod.parallel's worker count), each on a share of the charts; when one fails, the folder's
--- charts are rendered one by one so that each failure is reported on its own chart.
---@param processes? integer
function Batch:run(processes)
  processes = processes or require("cod.parallel").threads()
  local dirs, by_dir = {}, {}
  for _, r in ipairs(self.charts) do
    local d = r.pending.dir
    if not by_dir[d] then
      by_dir[d] = {}
      dirs[#dirs + 1] = d
    end
    table.insert(by_dir[d], r)
  end
  self.charts = {}
  for _, d in ipairs(dirs) do
    local charts = by_dir[d]
    if run_gnuplot(d, charts, processes) then
      for _, r in ipairs(charts) do settle(r, true) end
    else
      for _, r in ipairs(charts) do settle(r, run_gnuplot(d, { r })) end
    end
  end
end

return M
