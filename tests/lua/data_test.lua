-- cod.data: building datasets, selection, features, metrics and their error messages.
local T = require("testlib")
local data = require("cod.data")

local function small()
  return data.from_tables({
    models = {
      { name = "m1", params = 1e8, tokens = 1e10 },
      { name = "m2", params = 2e8, tokens = 1e10 },
      { name = "m3", params = 3e8, tokens = 1e10 },
      { name = "big", params = 1e10, tokens = 1e11, role = "target" },
      { name = "ext", compute_flops = 3e20, role = "anchor", family = "other" },
    },
    sets = {
      {
        name = "s",
        items = { "a", "b", "c" },
        models = { "m3", "m1", "m2", "big", "ext" },
        pass = { { 0.3, 0.1, 0.2, 0.9, 0.8 }, { 0, 0, 0, 0.5, 0 }, { 1, 1, 1, 1, 1 } },
        scores = { big = 0.75 },
      },
    },
  })
end

T.test("from_tables builds a dataset", function()
  local ds = small()
  T.eq(tostring(ds), "cod.Dataset(1 sets, 3 items, 5 models)")
  T.eq(ds:sets(), { "s" })
  T.eq(ds:items("s"), { "a", "b", "c" })
  T.eq(ds:set_models(1), { "m3", "m1", "m2", "big", "ext" })
  T.near(ds:compute("m1"), 6e18 / 1e18, 1e-12)
  T.eq(ds:compute_unit(), 1e18)
  local m = ds:model("ext")
  T.eq(m.role, "anchor")
  T.eq(m.family, "other")
  T.eq(m.params, nil)
  T.eq(m.compute_flops, 3e20)
end)

T.test("default selection and features from ladder models only", function()
  local ds = small()
  local sel = ds:select()
  T.eq(sel, { ladder = { "m1", "m2", "m3" }, anchors = { "ext" }, target = "big" })
  local X = ds:features("s", sel.ladder)
  T.eq(X:totable(), { { 0.1, 0.2, 0.3 }, { 0, 0, 0 }, { 1, 1, 1 } })
  T.eq(data.zero_items(X), { 2 })
  T.eq(data.zero_items({ { 0, 0 }, { 0, 0.5 } }), { 1 })
end)

T.test("metrics over all items, a subset, and the score override", function()
  local ds = small()
  T.near(ds:metric("s", "big"), (0.9 + 0.5 + 1) / 3, 1e-12)
  T.near(ds:metric("s", "big", { 1, 3 }), 0.95, 1e-12)
  T.eq(ds:full_metric("s", "big"), 0.75)
  T.near(ds:full_metric("s", "m1"), (0.1 + 1) / 3, 1e-12)
  T.raises(function() ds:metric("s", "big", { 4 }) end,
    "bad argument #3 to 'metric' (element 1 must be an index in [1, 3])")
end)

T.test("summary lists sets with models ordered by compute", function()
  local s = data.summary(small())
  T.eq(#s, 1)
  T.eq(s[1].name, "s")
  T.eq(s[1].items, 3)
  T.eq(s[1].models, { "m1", "m2", "m3", "ext", "big" })
  T.near(s[1].mean[1], 1.1 / 3, 1e-12)
  T.eq(s[1].trials, false)
end)

T.test("selection errors are clear", function()
  local ds = small()
  T.raises(function() ds:select({ target = "nope" }) end,
    "unknown model 'nope' (models: m1, m2, m3, big, ext)")
  T.raises(function() ds:select({ ladder = { "m1", "ext" } }) end,
    "model 'ext' is both a ladder model and an anchor")
  T.raises(function() ds:select({ targt = "big" }) end,
    "bad option 'targt' to 'select' (valid options: target, ladder, anchors)")
  T.raises(function() ds:select({ target = 3 }) end,
    "bad option 'target' to 'select' (string expected, got number)")
  T.raises(function() ds:items("zzz") end, "unknown evaluation set 'zzz' (sets: s)")
  T.raises(function() ds:items(2) end, "bad argument #1 to 'items' (set index out of range [1, 1])")
end)

T.test("from_tables validates like a reader", function()
  T.raises(function()
    data.from_tables({ models = { { name = "a", params = 1, tokens = 1, role = "boss" } }, sets = {} })
  end, "unknown role 'boss' (expected ladder, target, anchor or empty)")
  T.raises(function()
    data.from_tables({
      models = { { name = "a", params = 1, tokens = 1 } },
      sets = { { name = "s", items = { "i" }, models = { "a" }, pass = { { 1.5 } } } },
    })
  end, "set 's', item 'i', model 'a': pass rate 1.500000 is outside [0, 1]")
  T.raises(function()
    data.from_tables({ models = { { name = "a" } }, sets = {} })
  end, "model 'a' has no positive compute (give compute_flops or params and tokens)")
  T.raises(function() data.from_tables({ models = {}, sets = {}, extra = 1 }) end,
    "bad option 'extra' to 'from_tables' (valid options: models, sets, compute_unit)")
  T.raises(function() data.load(42) end, "bad argument #1 to 'load' (string expected, got number)")
end)

T.test("a released dataset gives a clear error", function()
  local ds = small()
  local mt = getmetatable(ds)
  mt.__close(ds)
  T.raises(function() ds:sets() end, "calling 'sets' on bad self (cod.Dataset has been released)")
  mt.__gc(ds) -- running the finaliser again is harmless
end)

T.done()
