-- cod.plot: batches of charts on a few gnuplot processes (a failing chart reported on its own,
-- charts sent while gnuplot runs, warm processes) and libcodlua_fastpng, the preloaded library
-- that makes gnuplot's PNGs cheaper to encode without changing a pixel.
local T = require("testlib")
local plot = require("cod.plot")
local sys = require("cod.core.sys")

-- The tests that draw need gnuplot; without it they say so and pass.
local function gnuplot_here()
  if plot.available() then return true end
  print("skipped: gnuplot is not installed")
  return false
end

-- ------------------------------------------------------------------ plot batches

local scratch = T.scratch()

T.test("plot batch: a few gnuplot runs for all charts; a failing chart is reported on its own", function()
  if not gnuplot_here() then return end
  local good = { { title = "a", points = { { 1, 0.2 }, { 2, 0.4 } } } }
  local r1, r2, r3
  -- 1, 2 and 3 gnuplot processes at once: the failing chart is then in the only process, in
  -- the last one (run in the foreground) and in a background one.
  for _, processes in ipairs({ 1, 2, 3 }) do
    local batch = plot.batch()
    r1 = batch:render({ output = scratch .. "/one", series = good, logx = true })
    -- Only undefined points: gnuplot stops on this script (no valid range).
    r2 = batch:render({ output = scratch .. "/two", series = { { title = "nan", points = { { 0 / 0, 0 / 0 } } } } })
    r3 = batch:render({ output = scratch .. "/three", series = good })
    T.eq(r1.rendered, false, "nothing is rendered before run()")
    batch:run(processes)
    T.eq({ r1.rendered, r2.rendered, r3.rendered }, { true, false, true }, processes .. " processes")
    T.eq(r2.reason, "gnuplot failed on " .. scratch .. "/two.gp")
  end
  T.eq(r3.files, { scratch .. "/three.dat", scratch .. "/three.gp", scratch .. "/three.png", scratch .. "/three.svg" })
  T.truthy(T.read(scratch .. "/three.svg"):find("<svg", 1, true))
  -- A script still runs on its own (`reset` first: charts share a session in a batch).
  T.truthy(T.read(scratch .. "/three.gp"):find("\nreset", 1, true))
  -- The same charts one by one give the same answers.
  T.eq(plot.render({ output = scratch .. "/two", series = { { title = "nan", points = { { 0 / 0, 0 / 0 } } } } }).rendered,
    false)
  T.eq(plot.render({ output = scratch .. "/one", series = good }).rendered, true)
end)

T.test("plot batch: charts written after start() go to the running gnuplot processes; warm ones are used", function()
  if not gnuplot_here() then return end
  local good = { { title = "a", points = { { 1, 0.2 }, { 2, 0.4 } } } }
  local nan = { { title = "nan", points = { { 0 / 0, 0 / 0 } } } }
  -- A folder whose name holds a line break cannot be named to gnuplot unchanged: run alone.
  local odd = scratch .. "/line\nbreak"
  assert(require("cod.core.sys").mkdir(odd))
  for _, warm in ipairs({ false, true }) do
    if warm then plot.prewarm(2) end
    local batch = plot.batch()
    batch:start(2)
    local r = {}
    r[1] = batch:render({ output = scratch .. "/s1", series = good })
    r[2] = batch:render({ output = scratch .. "/s2", series = nan })
    r[3] = batch:render({ output = scratch .. "/s3", series = good })
    r[4] = batch:render({ output = odd .. "/s4", series = good })
    r[5] = batch:render({ output = scratch .. "/s5", series = {} })
    T.eq(r[1].rendered, false, "nothing is rendered before finish()")
    batch:finish()
    T.eq({ r[1].rendered, r[2].rendered, r[3].rendered, r[4].rendered, r[5].rendered }, { true, false, true, true, false },
      warm and "warm" or "cold")
    T.eq(r[2].reason, "gnuplot failed on " .. scratch .. "/s2.gp")
    T.eq(r[5].reason, "no data to plot")
    T.truthy(T.read(odd .. "/s4.svg"):find("<svg", 1, true))
    -- The same images as a chart rendered on its own.
    T.eq(T.read(scratch .. "/s3.png"), (function()
      plot.render({ output = scratch .. "/alone", series = good })
      return T.read(scratch .. "/alone.png")
    end)())
  end
end)

T.test("plot batch: a chart without data is reported at once and not sent to gnuplot", function()
  local batch = plot.batch()
  local r = batch:render({ output = scratch .. "/empty", series = {} })
  T.eq(r.rendered, false)
  T.eq(r.reason, "no data to plot")
  batch:run()
  T.eq(r.reason, "no data to plot")
end)

-- ------------------------------------------------------------------ libcodlua_fastpng

-- The zlib header of a PNG's first IDAT chunk: "\x78\x01" at level 1, "\x78\x9c" at zlib's
-- default level 6 (what libpng uses when nobody sets one).
local function zlib_header(png)
  local at = assert(png:find("IDAT", 1, true), "no IDAT chunk")
  return png:sub(at + 4, at + 5)
end

local function pixels(path)
  local p = assert(io.popen(assert(os.getenv("PNG_PIXELS_BIN"), "PNG_PIXELS_BIN is not set") .. " '" .. path .. "'"))
  local out = p:read("a")
  assert(p:close(), "png_pixels failed on " .. path)
  return out
end

local function shell_quote(x) return "'" .. x:gsub("'", "'\\''") .. "'" end

-- A chart like a report's: a few hundred points in several colours, lines, a log axis.
local function busy_series()
  local series = {}
  for s = 1, 4 do
    local pts, line = {}, {}
    for i = 1, 80 do
      local x = 10 ^ (1 + 3 * i / 80)
      pts[#pts + 1] = { x, (s * 0.17 + 0.3 * math.sin(i * s)) % 1 }
      line[#line + 1] = { x, s * 0.2 + 0.001 * i }
    end
    series[#series + 1] = { title = "s" .. s, points = pts }
    series[#series + 1] = { title = "fit " .. s, points = line, style = "lines" }
  end
  return series
end

T.test("fastpng: batch and single charts are encoded at zlib level 1, with the pixels of gnuplot's own PNG", function()
  if not gnuplot_here() then return end
  T.truthy(package.codlua_fastpng, "the host found libcodlua_fastpng beside the binary")
  local spec = { output = scratch .. "/busy", series = busy_series(), logx = true, title = "busy" }
  local batch = plot.batch()
  batch:start(2)
  local r = batch:render(spec)
  batch:finish()
  T.eq(r.rendered, true)
  local fast = T.read(scratch .. "/busy.png")
  T.eq(zlib_header(fast), "\x78\x01", "batch chart at level 1")
  local fast_pixels = pixels(scratch .. "/busy.png")
  -- The same script run by gnuplot alone: libpng's defaults, the same pixels.
  T.truthy(os.execute("cd " .. shell_quote(scratch) .. " && gnuplot busy.gp >/dev/null 2>&1"))
  local plain = T.read(scratch .. "/busy.png")
  T.eq(zlib_header(plain), "\x78\x9c", "gnuplot alone: zlib's default level")
  T.truthy(plain ~= fast, "the encodings differ")
  T.eq(pixels(scratch .. "/busy.png"), fast_pixels)
  T.truthy(fast_pixels:match("^900 600 %x+\n$"), fast_pixels)
  -- A chart rendered on its own is encoded the same way.
  T.eq(plot.render(spec).rendered, true)
  T.eq(T.read(scratch .. "/busy.png"), fast)
end)

T.test("fastpng: a library LD_PRELOAD cannot name, a missing or a broken one: charts drawn as gnuplot does", function()
  if not gnuplot_here() then return end
  local lib = assert(package.codlua_fastpng)
  local script = scratch .. "/draw.lua"
  T.write(script, ([[
local r = require("cod.plot").render({ output = %q, series = { { title = "a", points = { { 1, 0.2 }, { 2, 0.4 } } } } })
io.write(tostring(r.rendered), " ", tostring(package.codlua_fastpng))
]]):format(scratch .. "/chart"))
  -- Each case: a folder with a copy of codlua and what lies beside it.
  local cases = {
    { dir = "beside", lib = "copy", header = "\x78\x01" },
    -- LD_PRELOAD would split this path at the space, and its part "space/libcodlua_fastpng.so"
    -- would name a file relative to gnuplot's folder (the chart's): one is put there.
    { dir = "with space", lib = "copy", header = "\x78\x9c", planted = "space" },
    { dir = "broken", lib = "empty", header = "\x78\x9c" },     -- ld.so ignores what it cannot load
    { dir = "none", lib = nil },                                 -- then the configured install path, if any
  }
  for _, c in ipairs(cases) do
    local dir = scratch .. "/" .. c.dir
    assert(sys.mkdir(dir))
    T.truthy(os.execute(("cp %s %s"):format(shell_quote(T.codlua), shell_quote(dir .. "/codlua"))))
    if c.lib == "copy" then
      T.truthy(os.execute(("cp %s %s"):format(shell_quote(lib), shell_quote(dir .. "/libcodlua_fastpng.so"))))
    elseif c.lib == "empty" then
      T.write(dir .. "/libcodlua_fastpng.so", "")
    end
    if c.planted then
      assert(sys.mkdir(scratch .. "/" .. c.planted))
      T.truthy(os.execute(("cp %s %s"):format(shell_quote(lib), shell_quote(scratch .. "/" .. c.planted ..
        "/libcodlua_fastpng.so"))))
    end
    local p = assert(io.popen(shell_quote(dir .. "/codlua") .. " " .. shell_quote(script) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    local rendered, found = out:match("^(%a+) (.*)$")
    T.eq(rendered, "true", c.dir .. ": " .. out)
    if c.header then
      T.eq(found, dir .. "/libcodlua_fastpng.so", c.dir)
      T.eq(zlib_header(T.read(scratch .. "/chart.png")), c.header, c.dir)
    else
      T.truthy(found ~= dir .. "/libcodlua_fastpng.so", "nothing beside the copy: " .. found)
    end
  end
end)

T.remove_tree(scratch)
T.done()
