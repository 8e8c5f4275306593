-- cod.mapping: golden parity, every method with and without anchors, the result
-- object, monotonicity over random point sets, and exact error messages.
local T = require("testlib")
local mapping = require("cod.mapping")
local json = require("cod.json")

local function golden()
  local f = assert(io.open(T.data .. "/golden/mapping.json", "rb"))
  local g = json.decode(f:read("a"))
  f:close()
  return g
end

local function log10(v) return math.log(v, 10) end

-- A ladder (subset metric above the full metric, as usual) and two anchors.
local ladder = {
  { x = 0.2577, y = 0.2354, name = "l1" }, { x = 0.4081, y = 0.3653, name = "l2" },
  { x = 0.5622, y = 0.4977, name = "l3" }, { x = 0.6886, y = 0.6080, name = "l4" },
  { x = 0.7817, y = 0.6896, name = "l5" },
}
local anchors = {
  { x = 0.8456, y = 0.7446, anchor = true, name = "ext-a" },
  { x = 0.9151, y = 0.8060, anchor = true, name = "ext-b" },
}

local function concat(a, b)
  local out = {}
  for _, p in ipairs(a) do out[#out + 1] = p end
  for _, p in ipairs(b) do out[#out + 1] = p end
  return out
end

-- Smallest step of the curve on a fine grid, and its range.
local function shape(r, n)
  local xs, ys = r:curve(n or 2001)
  local lowest, lo, hi = math.huge, math.huge, -math.huge
  for i = 1, #ys do
    if i > 1 then lowest = math.min(lowest, ys[i] - ys[i - 1]) end
    lo, hi = math.min(lo, ys[i]), math.max(hi, ys[i])
  end
  return lowest, lo, hi, xs, ys
end

T.test("spline parity with the golden (lambda, rmse, curve) in both monotonicity modes", function()
  local g = golden()
  for _, c in ipairs(g.cases) do
    local ref = c.outputs.spline
    for _, grid in ipairs({ 0, 1001 }) do
      local r = mapping.fit(c.inputs.x, c.inputs.y, { monotone_grid = grid })
      local what = c.name .. " grid " .. grid
      T.eq(r.method, "spline", what)
      T.eq(r.monotone_forced, ref.monotone_forced, what)
      T.eq(r.interpolation_missed, false, what)
      T.eq(#r.points, #ref.merged_x, what)
      for i, x in ipairs(ref.merged_x) do
        T.eq(r.points[i].x, x, what)
        T.near(r.points[i].y, ref.merged_y[i], 1e-15, what)
      end
      local ys = r:eval(ref.curve.x)
      -- Grid mode is the reference's own criterion: its tolerances. Exact mode: the project's 1e-4.
      local tol = grid == 0 and 1e-5 or 1e-6
      for i, y in ipairs(ref.curve.y) do T.near(ys[i], y, tol, what .. " curve at " .. ref.curve.x[i]) end
      T.near(r.rmse, ref.rmse, grid == 0 and 1e-5 or 1e-9, what .. " rmse")
      if ref.status:find("^line") then
        T.eq(r.status, "line", what)
        T.eq(r.lambda, math.huge, what)
        T.truthy(r.reason:find("already meets the threshold", 1, true), what)
      else
        T.eq(r.status, "fitted", what)
        T.near(log10(r.lambda), log10(ref.lam), 1e-4, what .. " lambda")
        T.near(log10(r.lambda_rmse), log10(ref.lam_rmse_only), 1e-4, what .. " lambda_rmse")
      end
      if grid == 0 then T.truthy(r.monotone and r.min_slope >= -1e-12, what .. " exactly monotone") end
    end
  end
end)

T.test("quartic and pchip parity with the golden", function()
  local g = golden()
  for _, c in ipairs(g.cases) do
    local xs = c.outputs.spline.curve.x
    local q = mapping.fit(c.inputs.x, c.inputs.y, { method = "quartic" })
    T.eq(q.monotone_forced, c.outputs.quartic.monotone_constrained, c.name)
    local qy = q:eval(xs)
    for i, y in ipairs(c.outputs.quartic.curve_y) do T.near(qy[i], y, 1e-6, c.name .. " quartic") end
    local p = mapping.fit(c.inputs.x, c.inputs.y, { method = "pchip" })
    local py = p:eval(xs)
    for i, y in ipairs(c.outputs.pchip.curve_y) do T.near(py[i], y, 1e-12, c.name .. " pchip") end
  end
end)

T.test("every method, with and without anchors", function()
  T.eq(mapping.methods, { "spline", "identity", "quartic", "pchip" })
  for _, method in ipairs(mapping.methods) do
    local without = mapping.fit(ladder, { method = method })
    local with = mapping.fit(concat(ladder, anchors), { method = method })
    for _, r in ipairs({ without, with }) do
      T.eq(r.method, method)
      T.eq(r.monotone, true, method)
      local lowest, lo, hi = shape(r)
      T.truthy(lowest >= -1e-12 and lo >= 0 and hi <= 1, method .. ": in [0,1] and non-decreasing")
      T.eq(r:eval(0), 0, method)
      T.near(r:eval(1), 1, 1e-12, method)
    end
    T.eq(#without.points, 5, method)
    T.eq(#with.points, 7, method)
    T.eq(with.points[6], { x = 0.8456, y = 0.7446, n = 1, anchors = 1, anchor = true, names = { "ext-a" } })
    T.eq(with.points[1].anchor, false)
    T.eq(with.points[1].names, { "l1" })
    if method == "identity" then
      T.eq(with:eval(0.8), 0.8)
      T.eq(without.lambda, nil)
    else
      -- The anchors pull the curve down at the top.
      T.truthy(with:eval(0.9) < without:eval(0.9) - 0.01, method .. ": anchors change the curve")
    end
    if method == "spline" then
      T.truthy(without.rmse <= 0.005 and with.rmse <= 0.005, "spline meets T")
      T.truthy(without.lambda > 0 and without.lambda < math.huge, "spline lambda")
    end
  end
end)

T.test("two arrays and a list of points give the same mapping", function()
  local xs, ys = {}, {}
  for i, p in ipairs(ladder) do xs[i], ys[i] = p.x, p.y end
  local a = mapping.fit(xs, ys)
  local b = mapping.fit(ladder)
  T.eq(a.lambda, b.lambda)
  T.eq(a:curve(11), b:curve(11))
  local c = mapping.fit(xs, ys, { method = "pchip" })
  T.eq(c.method, "pchip")
end)

T.test("the result object: fields, eval, curve, tostring", function()
  local r = mapping.fit({ { x = 0.3, y = 0.24 }, { x = 0.3, y = 0.26, anchor = true, name = "ext" },
    { x = 0.6, y = 0.5 } })
  T.eq(#r.points, 2)
  T.eq(r.points[1].n, 2)
  T.near(r.points[1].y, 0.25, 1e-15)
  T.eq(r.points[1].anchors, 1)
  T.eq(r.points[1].names, { "ext" })
  T.eq(r.threshold, 0.005)
  T.eq(r.status, "fitted")
  T.eq(r.reason, nil)
  T.eq(mapping.is_result(r), true)
  T.eq(mapping.is_result({}), false)
  local xs, ys = r:curve(5)
  T.eq(xs, { 0, 0.25, 0.5, 0.75, 1 })
  T.eq(ys, r:eval(xs))
  T.eq(#select(1, r:curve()), 101)
  T.eq(type(r:eval(0.5)), "number")
  T.truthy(tostring(r):find("^cod%.Mapping%(spline, 2 points, lambda=[%d.e+-]+, rmse=0%.005%)$"), tostring(r))
end)

T.test("line, interpolation missed, monotonicity forced, no data", function()
  local line = mapping.fit({ 0.2, 0.4, 0.6 }, { 0.201, 0.399, 0.602 })
  T.eq(line.status, "line")
  T.eq(line.lambda, math.huge)
  T.eq(line:eval(0.37), 0.37)

  local missed = mapping.fit({ { x = 0, y = 0.1 }, { x = 0.5, y = 0.5 } })
  T.eq(missed.status, "interpolation_missed")
  T.eq(missed.interpolation_missed, true)
  T.eq(missed.lambda, 1e-16)
  T.eq(missed.reason, "even the smallest lambda searched (1e-16) misses the threshold 0.005: RMSE 0.07071067811865477")

  local bumpy = mapping.fit({ 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }, { 0.15, 0.3, 0.22, 0.45, 0.4, 0.62, 0.7 })
  T.eq(bumpy.monotone_forced, true)
  T.truthy(bumpy.lambda > bumpy.lambda_rmse)
  T.truthy(bumpy.reason:find("^monotonicity forced extra smoothing: lambda raised from "), bumpy.reason)
  local pchip = mapping.fit({ 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }, { 0.15, 0.3, 0.22, 0.45, 0.4, 0.62, 0.7 },
    { method = "pchip" })
  T.eq(pchip.monotone, false)
  T.eq(pchip.reason, "pchip follows the data, which are not non-decreasing: the curve decreases somewhere on [0, 1]")

  for _, method in ipairs(mapping.methods) do
    local r = mapping.fit({}, { method = method })
    T.eq(r:eval(0.3), 0.3, method)
    T.eq(r.rmse, nil, method)
    T.eq(#r.points, 0, method)
    if method == "identity" then
      T.eq(r.reason, nil)
      T.eq(r.status, "fitted")
    else
      T.eq(r.status, "no_data", method)
      T.eq(r.reason, "no data points: the mapping is the line y = x", method)
    end
  end
  local capped = mapping.fit(ladder, { lambda_max = 1e-7 })
  T.eq(capped.status, "fitted")
  T.near(log10(capped.lambda), -7, 1e-9)
  T.truthy(capped.reason:find("^the RMSE still meets the threshold at lambda_max = 1e%-07 %(RMSE "), capped.reason)
  T.eq(mapping.fit({}).lambda, math.huge)
  T.eq(mapping.fit({}, {}, {}).status, "no_data")
end)

T.test("random point sets: in [0,1] and non-decreasing (pchip: unless the data fall)", function()
  math.randomseed(7)
  local bent = 0
  for trial = 1, 150 do
    local n = math.random(1, 10)
    local xs, ys = {}, {}
    local noise = 10 ^ (-3 + 2.5 * math.random())
    local bend = 2 * math.random() - 1
    for i = 1, n do
      local x = math.random()
      if math.random() < 0.1 then x = 0 end
      if math.random() < 0.1 and i > 1 then x = xs[1] end
      xs[i] = x
      ys[i] = math.min(1, math.max(0, x + bend * x * (1 - x) + noise * (2 * math.random() - 1)))
    end
    for _, method in ipairs(mapping.methods) do
      local r = mapping.fit(xs, ys, { method = method })
      local lowest, lo, hi = shape(r, 1001)
      local what = ("trial %d %s"):format(trial, method)
      T.truthy(lo >= 0 and hi <= 1, what .. ": range")
      T.eq(r:eval(0), 0, what)
      T.near(r:eval(1), 1, 1e-12, what)
      if method == "pchip" and not r.monotone then
        bent = bent + 1
        T.truthy(lowest < 0, what .. ": a non-monotone pchip really decreases")
      else
        T.eq(r.monotone, true, what)
        T.truthy(lowest >= -1e-12, what .. ": non-decreasing")
      end
      if method == "spline" and r.status == "fitted" and not r.monotone_forced then
        T.truthy(r.rmse <= 0.005, what .. ": meets T")
      end
    end
  end
  T.truthy(bent > 0, "some pchip fits went through falling data")
end)

T.test("bad input: exact messages", function()
  local pt = { x = 0.5, y = 0.4 }
  T.raises(function() mapping.fit("points") end, "bad argument #1 to 'fit' (table expected, got string)")
  T.raises(function() mapping.fit({ pt, "p" }) end,
    "bad argument #1 to 'fit' (point 2 is a string, expected a table {x = number, y = number})")
  T.raises(function() mapping.fit({ { x = 0.5 } }) end, "bad argument #1 to 'fit' (point 1: y must be a number, got nil)")
  T.raises(function() mapping.fit({ { x = "0.5", y = 0.4 } }) end,
    "bad argument #1 to 'fit' (point 1: x must be a number, got string)")
  T.raises(function() mapping.fit({ { x = 0.5, y = 0.4, anchr = true } }) end,
    "bad argument #1 to 'fit' (point 1: unknown field 'anchr' (fields: x, y, anchor, name))")
  T.raises(function() mapping.fit({ { x = 0.5, y = 0.4, anchor = 1 } }) end,
    "bad argument #1 to 'fit' (point 1: anchor must be a boolean, got number)")
  T.raises(function() mapping.fit({ { x = 0.5, y = 0.4, name = 3 } }) end,
    "bad argument #1 to 'fit' (point 1: name must be a string, got number)")
  T.raises(function() mapping.fit({ x = { 0.5 }, y = { 0.4 } }) end,
    "bad argument #1 to 'fit' (list of points expected, found keys 'x', 'y' (for two arrays call fit(xs, ys, opts)))")
  T.raises(function() mapping.fit({ pt, [5] = pt }) end,
    "bad argument #1 to 'fit' (list of points expected, found key '5' (for two arrays call fit(xs, ys, opts)))")
  T.raises(function() mapping.fit({ pt, { x = 0 / 0, y = 0.1 } }) end,
    "mapping: point 2 has x = nan (must be a number in [0, 1])")
  T.raises(function() mapping.fit({ pt, { x = 0.1, y = 1.5 } }) end, "mapping: point 2 has y = 1.5, outside [0, 1]")
  T.raises(function() mapping.fit({ -0.25 }, { 0.1 }) end, "mapping: point 1 has x = -0.25, outside [0, 1]")
  T.raises(function() mapping.fit({ 0.1, math.huge }, { 0.1, 0.2 }) end,
    "mapping: point 2 has x = inf (must be a number in [0, 1])")
  T.raises(function() mapping.fit({ 0.1, 0.2, 0.3 }, { 0.1, 0.2 }) end, "mapping: x has 3 values but y has 2")
  T.raises(function() mapping.fit({ 0.1, 0.2 }, { 0.1, "y" }) end,
    "bad argument #2 to 'fit' (element 2 is a string, expected a number)")
  T.raises(function() mapping.fit({ 0.1 }) end, "bad argument #2 to 'fit' (table expected, got nil)")
  T.raises(function() mapping.fit({ pt }, { method = "cubic" }) end,
    "bad option 'method' to 'fit' (unknown method 'cubic'; methods: spline, identity, quartic, pchip)")
  T.raises(function() mapping.fit({ pt }, { treshold = 0.01 }) end,
    "bad option 'treshold' to 'fit' (valid options: method, threshold, lambda_min, lambda_max, monotone_grid)")
  T.raises(function() mapping.fit({ pt }, { threshold = "0.01" }) end,
    "bad option 'threshold' to 'fit' (number expected, got string)")
  T.raises(function() mapping.fit({ pt }, { threshold = 0 }) end, "mapping: threshold must be a finite number > 0, got 0")
  T.raises(function() mapping.fit({ pt }, { lambda_min = 1, lambda_max = 0.5 }) end,
    "mapping: lambda bounds must satisfy 0 < lambda_min < lambda_max < inf, got 1 and 0.5")
  T.raises(function() mapping.fit({ pt }, { monotone_grid = 1 }) end,
    "mapping: monotone_grid must be 0 (exact) or >= 2, got 1")
  T.raises(function() mapping.fit({ pt }, { monotone_grid = -3 }) end,
    "bad option 'monotone_grid' to 'fit' (must be 0 (exact) or in [2, 10000000])")
  T.raises(function() mapping.fit({ pt }, "spline") end, "bad argument #2 to 'fit' (option table expected, got string)")

  local r = mapping.fit({ pt })
  T.raises(function() r:eval(1.5) end, "mapping: cannot evaluate at x = 1.5: the mapping is defined on [0, 1]")
  T.raises(function() r:eval({ 0.5, 0 / 0 }) end, "mapping: cannot evaluate at x = nan: the mapping is defined on [0, 1]")
  T.raises(function() r:eval("x") end, "bad argument #1 to 'eval' (number or array of numbers expected, got string)")
  T.raises(function() r:eval({ 0.5, "x" }) end, "bad argument #1 to 'eval' (element 2 is a string, expected a number)")
  T.raises(function() r.eval(5) end, "calling 'eval' on bad self (cod.mapping result expected, got number)")
  T.raises(function() r:curve(1) end, "bad argument #1 to 'curve' (n must be in [2, 10000000], got 1)")
end)

T.done()
