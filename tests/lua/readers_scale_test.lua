-- Readers and messages at scale (issue 9): reading grows linearly with the header's width,
-- and a message quotes a bounded excerpt of a huge name or header, never all of it.
local T = require("testlib")
local sys = require("cod.core.sys")
local q = T.shell_quote

local base = T.source .. "/tests/bad/base"
local bin = q(T.codlua)
local scratch = T.scratch()

local write = T.write

-- The base items of items 1-9 only (every model), each line passed through `edit`.
local function small_items(path, edit)
  local out = {}
  for line in io.lines(base .. "/items.csv") do
    if #out == 0 or line:find("^[^,]*,item%-%d,") then out[#out + 1] = edit(line, #out == 0) end
  end
  return write(path, table.concat(out, "\n") .. "\n")
end

-- ... with `extra` more (empty) columns after the used ones.
local function wide_items(path, extra)
  local cols = {}
  for i = 1, extra do cols[i] = "x" .. i end
  local pad = (","):rep(extra)
  return small_items(path, function(line, header) return header and (line .. "," .. table.concat(cols, ",")) or (line .. pad) end)
end

T.test("a header of 100,000 columns reads in linear time", function()
  local items = wide_items(scratch .. "/wide.csv", 100000)
  local t0 = sys.clock()
  local code, _, err = T.run(("timeout 60 %s -e %s"):format(bin, q(("local d = require('cod.data').read({models=%q, "
    .. "items=%q}) assert(#d:sets() == 2)"):format(base .. "/models.csv", items))))
  T.eq(code, 0, err)
  -- Quadratic handling took minutes here; linear takes about a second (generous bound).
  T.truthy(sys.clock() - t0 < 30, ("took %.1f s"):format(sys.clock() - t0))
end)

T.test("a missing column in a 200,000-column header: a bounded message", function()
  local cols = {}
  for i = 1, 200000 do cols[i] = "c" .. i end
  local items = write(scratch .. "/nocol.csv", table.concat(cols, ",") .. "\n" .. ("1,"):rep(199999) .. "1\n")
  local code, _, err = T.run(("%s predict --models %s --items %s"):format(bin, q(base .. "/models.csv"), q(items)))
  T.eq(code, 1)
  T.truthy(#err < 2000, ("%d bytes of message"):format(#err))
  T.truthy(err:find("column 'benchmark': missing column; the header has: 'c1', 'c2',.-'c20', %.%.%. %(200000 columns in all%)"),
    err)
end)

T.test("a 50,000-byte set name is quoted as an excerpt", function()
  local name = ("n"):rep(50000)
  local items = small_items(scratch .. "/longname.csv", function(line) return (line:gsub("^alpha,", name .. ",")) end)
  local code, out, err = T.run(("%s predict --models %s --items %s --sets alpha --no-backtest"):format(bin,
    q(base .. "/models.csv"), q(items)))
  T.eq(code, 1)
  T.truthy(#err < 2000, ("%d bytes of message"):format(#err))
  T.truthy(err:find("unknown evaluation set 'alpha' %(sets: nnnnnnnn.-… %(50000 bytes%)"), err)
  -- A run with it works, and the table shows a cut name.
  code, out, err = T.run(("%s predict --models %s --items %s --no-backtest --out %s"):format(bin,
    q(base .. "/models.csv"), q(items), q(scratch .. "/out")))
  T.eq(code, 0, err:sub(1, 500))
  T.truthy(out:find("\nnnnnnnnnnnnnnnnnnnnnnnnnn%.%.%. "), out:sub(1, 500))
  local _, list = T.run("ls " .. q(scratch .. "/out/plots"))
  for n in list:gmatch("[^\n]+") do T.truthy(#n < 100, "plot file name bounded: " .. n:sub(1, 100)) end
end)

T.remove_tree(scratch)
T.done()
