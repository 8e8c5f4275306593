-- The house rules in Lua: cod.check messages, cod.errors suggestions, the clustering and
-- mapping registries (contracts and their errors), recipe construction checks.
local T = require("testlib")
local check = require("cod.check")
local errors = require("cod.errors")
local cluster = require("cod.cluster")
local mapping = require("cod.mapping")
local pipeline = require("cod.pipeline")
local recipes = require("cod.recipes")
local synth = require("cod.synth")
local predict = require("cod.predict")

-- The error value of fn() (it must raise).
local function raised(fn)
  local ok, e = pcall(fn)
  T.truthy(not ok, "expected an error")
  return e
end

T.test("check: argument types, option keys, ranges with the offending value", function()
  local function fit(x, opts)
    check.arg("fit", 1, x, "table")
    opts = check.options("fit", opts, { method = "string", k = "integer", tol = "number" }, 2)
    check.integer("fit", "k", opts.k, { min = 1, optional = true })
    check.number("fit", "tol", opts.tol, { above = 0, finite = true, optional = true })
    return opts
  end
  T.raises(function() fit(3) end, "bad argument #1 to 'fit' (table expected, got number)")
  T.raises(function() fit(nil) end, "bad argument #1 to 'fit' (table expected, got nil)")
  T.raises(function() fit({}, 5) end, "bad argument #2 to 'fit' (option table expected, got number)")
  T.raises(function() fit({}, { methd = "x" }) end,
    "bad option 'methd' to 'fit' (valid options: k, method, tol) (did you mean 'method'?)")
  T.raises(function() fit({}, { zzz = 1 }) end, "bad option 'zzz' to 'fit' (valid options: k, method, tol)")
  T.raises(function() fit({}, { k = 1.5 }) end, "bad option 'k' to 'fit' (integer expected, got 1.5)")
  T.raises(function() fit({}, { k = 0 }) end, "bad option 'k' to 'fit' (an integer >= 1 expected, got 0)")
  T.raises(function() fit({}, { tol = 0 / 0 }) end, "bad option 'tol' to 'fit' (a finite number > 0 expected, got NaN)")
  T.raises(function() fit({}, { tol = math.huge }) end,
    "bad option 'tol' to 'fit' (a finite number > 0 expected, got inf)")
  T.raises(function() check.one_of("f", "method", "splne", { "spline", "pchip" }, "mapping method") end,
    "bad option 'method' to 'f' (unknown mapping method 'splne' (did you mean 'spline'?); known: spline, pchip)")
  T.eq(check.one_of("f", "method", "pchip", { "spline", "pchip" }), "pchip")
  T.raises(function() check.option_fail("f", "k", "must be even") end, "bad option 'k' to 'f' (must be even)")
  T.eq(fit({}, nil), {})
  T.eq(fit({}, { k = 3 }).k, 3)
  -- The position is the caller of the checked function (as luaL_argerror's).
  local _, e = pcall(function() fit(3) end)
  T.truthy(tostring(e):find("^[^:]*house_test%.lua:%d+: bad argument"), e)
  -- The user flavour raises a user error (one line, exit 1), never a plain string.
  local u = raised(function() check.user.options("stage 'fit'", { frm = 1 }, { form = "string" }) end)
  T.truthy(errors.is_user(u), "a user error")
  T.eq(tostring(u), "bad option 'frm' to stage 'fit' (valid options: form) (did you mean 'form'?)")
  T.eq(u.status, 1)
end)

T.test("did_you_mean: close names, transpositions, nothing for far ones", function()
  T.eq(errors.did_you_mean("from", { "form", "fixed" }), " (did you mean 'form'?)")
  T.eq(errors.did_you_mean("COD", { "cod", "bnsl" }), " (did you mean 'cod'?)")
  T.eq(errors.did_you_mean("splne", { "spline", "pchip" }), " (did you mean 'spline'?)")
  T.eq(errors.did_you_mean("zzzzzz", { "spline", "pchip" }), "")
  T.eq(errors.did_you_mean("cod", { "cod" }), "", "an exact name needs no suggestion")
end)

-- A small job to run stages on.
local ds = synth.paper_like({ seed = 3, scale = 0.08, anchors = 1, target_factor = 5 })
local set = ds:sets()[1]
local job = predict.job(ds, set, ds:select())

T.test("cluster.register: a user's method by name, in a recipe's cluster stage", function()
  local seen
  cluster.register("two_halves", function(X, opts)
    seen = { rows = #X, cols = #X[1], plain = getmetatable(X) == nil, split = opts.split }
    local labels = {}
    for i, row in ipairs(X) do labels[i] = (row[#row] < (opts.split or 0.5)) and 1 or 2 end
    return { labels = labels, note = "halves" }
  end, { replace = true })
  T.truthy(table.concat(cluster.names(), ","):find("two_halves", 1, true))
  local r = recipes.get("cod"):with({ cluster = { method = "two_halves", options = { split = 0.4 } } }):run(job)
  T.eq(seen.plain, true, "X is a plain Lua table of rows")
  T.eq(seen.cols, #job.ladder, "one column per ladder model")
  T.eq(seen.split, 0.4, "the stage's options reach the method")
  T.eq(r.clustering.method, "two_halves")
  T.eq(r.clustering.facts.note, "halves")
  T.truthy(#r.clusters >= 1 and #r.clusters <= 2)
  -- Contract violations are bugs in the method (plain errors naming it).
  cluster.register("bad_labels", function(X) return { labels = { 0 } } end, { replace = true })
  T.raises(function() cluster.run("bad_labels", { { 0.1, 0.2 } }) end,
    "clustering method 'bad_labels': label 0 of item 1 is not a cluster id 1, 2, ... or -1")
  T.raises(function() cluster.run("bad_labels", { { 0.1 }, { 0.2 } }) end,
    "clustering method 'bad_labels' returned 1 labels for 2 items")
  cluster.register("no_table", function() return 3 end, { replace = true })
  T.raises(function() cluster.run("no_table", { { 0.1 } }) end,
    "clustering method 'no_table' must return a table with labels, got number")
  -- An unknown name in a recipe is the user's mistake, with a suggestion.
  local e = raised(function() cluster.run("two_halfs", { { 0.1 } }) end)
  T.truthy(errors.is_user(e))
  T.truthy(tostring(e):find("unknown clustering method 'two_halfs' (did you mean 'two_halves'?)", 1, true), e)
  -- Registration is checked.
  T.raises(function() cluster.register("kmeans", function() end) end,
    "bad argument #1 to 'register' ('kmeans' is a built-in clustering method)")
  T.raises(function() cluster.register("two_halves", function() end) end,
    "bad argument #1 to 'register' (clustering method 'two_halves' is already registered (pass {replace = true}))")
  T.raises(function() cluster.register("x", 5) end, "bad argument #2 to 'register' (callable expected, got number)")
end)

T.test("mapping.register: a user's method by name, in mapping.fit and a recipe's map stage", function()
  local got
  mapping.register("scaled", function(x, y, opts)
    got = { n = #x, ny = #y, factor = opts.factor }
    return { factor = opts.factor or 1, f = function(v) return math.min(1, v * (opts.factor or 1)) end }
  end, { replace = true })
  local m = mapping.fit({ 0.2, 0.4 }, { 0.1, 0.3 }, { method = "scaled", options = { factor = 0.5 } })
  T.eq(got, { n = 2, ny = 2, factor = 0.5 })
  T.eq(m.method, "scaled")
  T.eq(m:eval(0.6), 0.3)
  T.eq(m:eval({ 0.2, 4 }), { 0.1, 1 })
  T.truthy(mapping.is_result(m))
  local r = recipes.get("cod"):with({ map = { method = "scaled", options = { factor = 0.9 } } }):run(job)
  T.eq(r.mapping.method, "scaled")
  T.eq(r.ok, true, tostring(r.reason))
  T.near(r.prediction, math.min(1, r.subset_prediction * 0.9), 1e-15, "the prediction went through f")
  mapping.register("stringly", function() return { f = function() return "x" end } end, { replace = true })
  T.raises(function() mapping.fit({ 0.2 }, { 0.1 }, { method = "stringly" }):eval(0.5) end,
    "mapping method 'stringly': f must return a number, got string (x = 0.5)")
  mapping.register("no_f", function() return {} end, { replace = true })
  T.raises(function() mapping.fit({ 0.2 }, { 0.1 }, { method = "no_f" }) end,
    "mapping method 'no_f' must return a table with a function f, got a table without f")
  local e = raised(function() mapping.fit({ 0.2 }, { 0.1 }, { method = "scaed" }) end)
  T.truthy(errors.is_user(e))
  T.truthy(tostring(e):find("unknown method 'scaed' (did you mean 'scaled'?)", 1, true), e)
  T.raises(function() mapping.fit({ 0.2 }, { 0.1 }, { method = "spline", options = {} }) end,
    "bad option 'options' to 'fit' (only for a registered method; 'spline' takes its options directly)")
end)

T.test("pipeline.recipe and Recipe:insert check what they are given", function()
  T.raises(function() pipeline.recipe({ name = "x", step = { { "features" } } }) end,
    "bad option 'step' to 'recipe' (valid options: description, fallback, kind, name, steps) (did you mean 'steps'?)")
  T.raises(function() pipeline.recipe({ name = "x" }) end,
    "bad argument #1 to 'recipe' (recipe 'x' needs a non-empty list of steps)")
  T.raises(function() pipeline.recipe({ steps = { { "features" } } }) end,
    "bad argument #1 to 'recipe' (a recipe needs a non-empty name)")
  T.raises(function() pipeline.recipe({ name = "x", steps = { { 3 } } }) end,
    "bad argument #1 to 'recipe' (recipe 'x': step 1 needs a stage name)")
  T.raises(function() pipeline.recipe("cod") end, "bad argument #1 to 'recipe' (table expected, got string)")
  local cod = recipes.get("cod")
  T.raises(function() cod:insert("fitt", "features") end,
    "bad argument #1 to 'insert' (recipe 'cod' has no stage 'fitt' (did you mean 'fit'?) (stages: features, "
    .. "cluster, fit, filter, extrapolate, map))")
  T.raises(function() cod:insert("fit", "nosuch_stage") end,
    "^bad argument #2 to 'insert' %(no stage function 'nosuch_stage': give fn")
  local r = cod:insert("fit", "mark", {}, function(_, st) st.marked = true end)
  T.eq(r.steps[4].name, "mark")
  T.eq(#r.steps, #cod.steps + 1)
  local tail = cod:insert(nil, "features")
  T.eq(tail.steps[#tail.steps].name, "features", "nil after: at the end")
end)

T.done()
