-- Error paths through the bindings, many times over, for LeakSanitizer: Lua errors raised
-- inside NLopt's objective by a form written in Lua, Lua errors raised in the middle of
-- binding calls (after C++ objects were built), engine exceptions turned into Lua errors.
-- Under `make sanitize` (ASan + LeakSanitizer) the process ends by closing the Lua state,
-- so every box is released and anything still allocated is a leak; LSan then fails the test.
-- Without a sanitizer it still checks that each error has its exact message and that the
-- state keeps working after hundreds of unwinds.
local T = require("testlib")
local law = require("cod.law")
local cluster = require("cod.cluster")
local mapping = require("cod.mapping")
local data = require("cod.data")
local json = require("cod.json")

local C = { 1, 2, 4, 8, 16, 32, 64 }
local y = { 0.1, 0.14, 0.2, 0.27, 0.36, 0.46, 0.55 }

-- A Lua form whose f raises on evaluation `at` (or whose grad raises there).
local function exploding(at, where, value)
  local calls = 0
  local function tick()
    calls = calls + 1
    if calls == at then error(value or ("exploded at " .. calls), 0) end
  end
  return law.form({
    name = "exploding", params = { "a", "b" }, lower = { a = -10, b = -10 }, upper = { a = 10, b = 10 },
    starts = { { a = 0.1, b = 0.1 }, { a = 1, b = 0 }, { a = -1, b = 0.5 } },
    f = function(c, p)
      if where == "f" then tick() end
      return p.a * math.log(c) / 10 + p.b
    end,
    grad = where == "grad" and function(c, p)
      tick()
      return { a = math.log(c) / 10, b = 1 }
    end or nil,
  }), function() return calls end
end

T.test("a Lua form raising inside the NLopt objective, at every stage of the fit", function()
  for _, at in ipairs({ 1, 2, 3, 7, 20, 60, 150, 400 }) do
    local form = exploding(at, "f")
    T.raises(function() law.fit(form, C, y) end, "form 'exploding': exploded at " .. at)
  end
  -- The same form without the explosion fits (the unwinding left the state sound).
  local ok = law.fit(exploding(-1, "f"), C, y)
  T.truthy(ok.ok and ok.sse < 1e-2, "fits after the errors")
end)

T.test("an analytic gradient raising inside the objective", function()
  for _, at in ipairs({ 1, 4, 30, 200 }) do
    T.raises(function() law.fit(exploding(at, "grad"), C, y) end, "form 'exploding': exploded at " .. at)
  end
end)

T.test("non-string error values and wrong return types from a Lua form", function()
  T.raises(function() law.fit(exploding(5, "f", { "a table" }), C, y) end,
    "form 'exploding': (error object is a table value)")
  local bad = law.form({ name = "bad", params = { "a" }, start = { a = 1 }, f = function() return {} end })
  T.raises(function() law.fit(bad, C, y) end, "^form 'bad': f must return a number, got table")
  local badg = law.form({ name = "badg", params = { "a" }, start = { a = 1 }, f = function(_, p) return p.a end,
    grad = function() return { a = "x" } end })
  T.raises(function() law.fit(badg, C, y) end, "^form 'badg': grad must return a number for 'a', got string")
end)

T.test("a Lua form raising inside fit_clusters (several clusters, one raises late)", function()
  local P = {}
  local labels = {}
  for i = 1, 30 do
    local k = (i - 1) % 3
    P[i] = {}
    for j = 1, #C do P[i][j] = math.min(1, (0.1 + 0.05 * k) * j / 2 + 0.001 * i) end
    labels[i] = k + 1
  end
  for _, at in ipairs({ 1, 50, 500 }) do
    local form = exploding(at, "f")
    T.raises(function() law.fit_clusters(P, labels, C, { form = form }) end, "^form 'exploding': exploded at " .. at)
  end
end)

T.test("Lua errors in the middle of binding calls (after C++ objects were built)", function()
  local X = {}
  for i = 1, 40 do X[i] = { (i % 7) / 7, (i % 5) / 5, (i % 3) / 3 } end
  for _ = 1, 50 do
    -- The matrix is converted first, then the option check raises.
    T.raises(function() cluster.kmeans(X, { k = 2, n_init = "ten" }) end,
      "^bad option 'n_init' to 'kmeans' %(integer expected, got string%)")
    T.raises(function() cluster.improved_meanshift(X, { quantile = 0.1, nosuch = 1 }) end,
      "^bad option 'nosuch' to 'improved_meanshift' %(valid options:")
    -- A row check fails half-way through a matrix.
    local broken = { { 0.1, 0.2 }, { 0.3, 0.4 }, { 0.5, "x" } }
    T.raises(function() cluster.meanshift(broken) end, "^bad argument #1 to .meanshift. %(row 3, column 2 is a string, expected a number%)$")
    -- An unknown key whose __tostring raises while the message is built.
    local key = setmetatable({}, { __tostring = function() error("tostring exploded", 0) end })
    T.raises(function() cluster.dbscan(X, { [key] = 1 }) end, "tostring exploded")
    T.raises(function() mapping.fit({ { x = 0.2, y = 0.3 }, { x = 0.5, y = 0.6 } }, { method = "nosuch" }) end,
      "^bad option 'method' to 'fit' %(unknown method 'nosuch'; methods:")
    T.raises(function() json.encode({ 1, 2, function() end }) end, "^.*function")
  end
end)

T.test("engine exceptions turned into Lua errors (readers, dataset checks)", function()
  local dir = T.source .. "/tests/bad"
  for _ = 1, 20 do
    T.raises(function()
      data.read({ models = dir .. "/base/models.csv", items = dir .. "/files/items_truncated_row.csv" })
    end, "items_truncated_row%.csv:1921: this row has 2 fields, expected 6 as in the header")
    T.raises(function() data.read({ models = dir .. "/files/models_duplicate.csv", items = dir .. "/base/items.csv" }) end,
      "models_duplicate%.csv:10: column .model.: model .s2. is listed twice %(first at line 3")
  end
  local ds = data.load(dir .. "/base")
  T.raises(function() ds:select({ target = "nosuch" }) end, "unknown model 'nosuch' %(models: s1, s2")
  T.raises(function() ds:pass("nosuch") end, "unknown evaluation set 'nosuch' %(sets: alpha, beta%)")
end)

T.test("a Lua form that yields inside the fit gets a clear error", function()
  local form = law.form({ name = "yielding", params = { "a" }, start = { a = 1 },
    f = function(_, p) coroutine.yield() return p.a end })
  local co = coroutine.wrap(function() return pcall(law.fit, form, C, y) end)
  local ok, err = co()
  T.eq(ok, false)
  T.truthy(tostring(err):find("form 'yielding': attempt to yield across a C%-call boundary"), tostring(err))
end)

-- Close the Lua state on exit (os.exit(code, true)) so that LeakSanitizer sees every box
-- released: whatever is still allocated then was lost by a binding.
collectgarbage()
local exit = os.exit
os.exit = function(code) exit(code, true) end
T.done()
