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

--- Write the data and gnuplot script of a chart and render PNG and SVG when possible.
---@param spec cod.plot.Spec
---@return {rendered: boolean, files: string[], reason?: string}
function M.render(spec)
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
    error("plot.render: key must be gnuplot placement words such as 'left top', got " .. string.format("%q", tostring(key)), 2)
  end
  local w, h = 900, 600
  if spec.size then w, h = spec.size[1], spec.size[2] end
  local lines = {
    "# codlua chart; run in this folder with: gnuplot " .. base:gsub("%c", " ") .. ".gp",
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
  local function q(x) return "'" .. x:gsub("'", "'\\''") .. "'" end
  local ok = execute("cd " .. q(dir) .. " && gnuplot " .. q(base .. ".gp") .. " >/dev/null 2>&1")
  if not ok then return { rendered = false, files = files, reason = "gnuplot failed on " .. gp } end
  files[#files + 1] = spec.output .. ".png"
  files[#files + 1] = spec.output .. ".svg"
  return { rendered = true, files = files }
end

return M
