-- cod.filters: the registry (paper rule and Table A1 ablations), combinators,
-- user rules (inline and from a module file), verdicts on real fits.

local T = require("testlib")
local filters = require("cod.filters")
local law = require("cod.law")

-- A cluster with a given fit (only what a rule reads).
local function cluster(params, extra)
  local c = { fit = { ok = true, form = "cod", params = params, sse = 1e-4, r2 = 0.99, n = 8, converged = true },
    size = 30, y = { 0.1, 0.2 }, label = 3 }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

T.test("the registry holds the paper's rule and its ablations", function()
  T.eq(filters.names(), { "ablation_a", "ablation_b", "ablation_c", "cod", "none", "paper" })
  local list = filters.list()
  T.eq(list[6], { name = "paper", description = "a > 1 and b > 0.1 and 0 <= c < 1 (the paper's rule, §4.3)" })
  T.eq(filters.get("paper").name, "paper")
  T.truthy(filters.is_rule(filters.get("none")))
  T.eq(tostring(filters.get("ablation_c")),
    "filter rule 'ablation_c': a > 1 and b > 0.1 and 0 <= c < 0.5 (Table A1: stricter c)")
end)

T.test("paper rule: each clause, in the order a, b, c", function()
  local function verdict(rule, p)
    local ok, why = filters.check(rule, cluster(p))
    return ok and "pass" or why.clause
  end
  T.eq(verdict("paper", { a = 2, b = 0.2, c = 0.5, g = 0 }), "pass")
  T.eq(verdict("paper", { a = 1, b = 0.2, c = 0.5 }), "a<=1") -- strict: a = 1 fails
  T.eq(verdict("paper", { a = 0.5, b = 0.01, c = 5 }), "a<=1") -- the first failing clause
  T.eq(verdict("paper", { a = 2, b = 0.1, c = 0.5 }), "b<=0.1")
  T.eq(verdict("paper", { a = 2, b = 0.2, c = 1 }), "c>=1")
  T.eq(verdict("paper", { a = 2, b = 0.2, c = -0.1 }), "c<0")
  T.eq(verdict("paper", { a = 2, b = 0.2, c = 0 }), "pass") -- 0 <= c
  T.eq(verdict("paper", { a = 0 / 0, b = 0.2, c = 0 }), "a<=1") -- NaN never passes
  -- Forms without c count as c = 0.
  T.eq(verdict("paper", { a = 2, b = 0.2 }), "pass")
  local ok, why = filters.check("paper", cluster({ a = 0.7, b = 0.2, c = 0 }))
  T.eq(ok, false)
  T.eq(why, { rule = "paper", clause = "a<=1" })
end)

T.test("Table A1 ablations change one clause each", function()
  local function passes(rule, p) return (filters.check(rule, cluster(p))) end
  T.eq(passes("ablation_a", { a = 0.7, b = 0.2, c = 0.2 }), true)
  T.eq(passes("paper", { a = 0.7, b = 0.2, c = 0.2 }), false)
  T.eq(passes("ablation_b", { a = 2, b = 0.07, c = 0.2 }), true)
  T.eq(passes("paper", { a = 2, b = 0.07, c = 0.2 }), false)
  T.eq(passes("ablation_c", { a = 2, b = 0.2, c = 0.7 }), false)
  T.eq(passes("paper", { a = 2, b = 0.2, c = 0.7 }), true)
  local _, why = filters.check("ablation_c", cluster({ a = 2, b = 0.2, c = 0.7 }))
  T.eq(why, { rule = "ablation_c", clause = "c>=0.5" })
  local _, whyb = filters.check("ablation_b", cluster({ a = 2, b = 0.01, c = 0.2 }))
  T.eq(whyb.clause, "b<=0.05")
  T.eq(passes("none", { a = -5, b = 99, c = 30 }), true)
end)

T.test("a failed fit is rejected by every rule, naming the rule", function()
  local failed = law.fit("cod", { 1, 10, 100 }, { 0.2, 0.3, 0.5 })
  for _, name in ipairs(filters.names()) do
    local ok, why = filters.check(name, { fit = failed, size = 12 })
    T.eq(ok, false, name)
    T.eq(why, { rule = name, clause = "no fit: too few points: 3 for 4 free parameters" }, name)
  end
end)

T.test("combinators: all, any, negate", function()
  local good = cluster({ a = 2, b = 0.2, c = 0.5 })
  local small = cluster({ a = 2, b = 0.2, c = 0.5 }, { size = 5 })
  local bad = cluster({ a = 2, b = 0.07, c = 0.5 })
  local both = filters.all({ "paper", filters.min_size(10) })
  T.eq(both.name, "all(paper,min_size(10))")
  T.eq(both.description, "(a > 1 and b > 0.1 and 0 <= c < 1 (the paper's rule, §4.3)) and (size >= 10)")
  T.eq((filters.check(both, good)), true)
  T.eq(select(2, filters.check(both, small)), { rule = "all(paper,min_size(10))", clause = "min_size(10): size<10" })
  T.eq(select(2, filters.check(both, bad)), { rule = "all(paper,min_size(10))", clause = "paper: b<=0.1" })
  local either = filters.any({ "paper", "ablation_b" }, "lenient")
  T.eq(either.name, "lenient")
  T.eq((filters.check(either, bad)), true)
  local worse = cluster({ a = 2, b = 0.01, c = 0.5 })
  T.eq(select(2, filters.check(either, worse)), { rule = "lenient", clause = "paper: b<=0.1; ablation_b: b<=0.05" })
  local neg = filters.negate("paper")
  T.eq(neg.name, "not(paper)")
  T.eq((filters.check(neg, bad)), true)
  T.eq(select(2, filters.check(neg, good)), { rule = "not(paper)", clause = "paper passed" })
  T.eq(select(2, filters.check(filters.min_r2(0.999), good)), { rule = "min_r2(0.999)", clause = "r2<0.999" })
  -- A bare function is a rule too.
  T.eq(select(2, filters.check(function() return false end, good)), { rule = "<function>", clause = "rejected" })
  T.raises(function() filters.all({}) end, "bad argument #1 to 'all' (non-empty list of rules expected)")
  T.raises(function() filters.any({ "paper", "nope" }) end,
    "unknown filter rule 'nope' (did you mean 'none'?) (registered: ablation_a, ablation_b, ablation_c, cod, none, paper)")
end)

T.test("a user rule registered in a recipe sees the whole cluster", function()
  local seen
  filters.register("late_rise", function(cl)
    seen = cl
    if cl.y[#cl.y] - cl.y[1] > 0.2 and cl.r2 > 0.9 then return true end
    return false, "flat"
  end, "the last model beats the first by 0.2 and R2 > 0.9")
  T.eq(filters.get("late_rise").description, "the last model beats the first by 0.2 and R2 > 0.9")
  local c = cluster({ a = 2, b = 0.2 }, { y = { 0.1, 0.5 } })
  T.eq((filters.check("late_rise", c)), true)
  T.eq(seen.size, 30)
  T.eq(seen.sse, 1e-4)
  T.eq(seen.r2, 0.99)
  T.eq(seen.n, 8)
  T.eq(seen.label, 3)
  T.eq(seen.form, "cod")
  T.eq(seen.params.c, 0) -- no c in this fit: counts as 0
  T.eq(c.fit.params.c, nil, "the fit itself is untouched")
  T.eq(seen.cluster, c)
  T.eq(select(2, filters.check("late_rise", cluster({ a = 2, b = 0.2 }))), { rule = "late_rise", clause = "flat" })
  T.raises(function() filters.register("late_rise", function() return true end, "again") end,
    "filter rule 'late_rise' is already registered (pass {replace = true} to replace it)")
  filters.register("late_rise", function() return true end, "replaced", { replace = true })
  T.eq(filters.get("late_rise").description, "replaced")
  T.raises(function() filters.register("x", 5, "d") end, "bad argument #2 to 'register' (function expected, got number)")
  T.raises(function() filters.register("x", function() end) end,
    "bad argument #3 to 'register' (string expected, got nil)")
  T.raises(function() filters.register("", function() end, "d") end,
    "bad argument #1 to 'register' (non-empty string expected, got string)")
  -- A rule that raises: the error comes out of check unchanged.
  filters.register("raises", function() error("rule broke", 0) end, "a broken rule")
  T.raises(function() filters.check("raises", c) end, "rule broke")
end)

T.test("a user rule from its own module file", function()
  local dir = os.tmpname()
  os.remove(dir)
  local modname = "myrules_" .. tostring(os.time()) .. tostring(math.random(1, 1000000))
  local path = dir .. "_" .. modname .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write([[
local filters = require("cod.filters")
local M = {}
M.steep = filters.register("steep", function(cl)
  if cl.params.b > 0.3 then return true end
  return false, "b<=0.3"
end, "b > 0.3 (a team's house rule)")
return M
]])
  f:close()
  local old = package.path
  package.path = dir .. "_?.lua;" .. old -- finds <dir>_<modname>.lua
  local mod = require(modname)
  package.path = old
  os.remove(path)
  T.truthy(filters.is_rule(mod.steep))
  T.eq(filters.get("steep").description, "b > 0.3 (a team's house rule)")
  T.eq(select(2, filters.check("steep", cluster({ a = 2, b = 0.2 }))), { rule = "steep", clause = "b<=0.3" })
  T.eq((filters.check(filters.all({ "paper", "steep" }), cluster({ a = 2, b = 0.5, c = 0 }))), true)
end)

T.test("apply marks every cluster and counts the passes", function()
  local cs = { cluster({ a = 2, b = 0.2, c = 0.5 }), cluster({ a = 2, b = 0.2, c = 3 }),
    { fit = law.fit("cod", { 1, 2 }, { 0.1, 0.2 }), size = 4 } }
  T.eq(filters.apply("paper", cs), 1)
  T.eq(cs[1].extrapolatable, true)
  T.eq(cs[1].rejected_by, nil)
  T.eq(cs[2].extrapolatable, false)
  T.eq(cs[2].rejected_by, { rule = "paper", clause = "c>=1" })
  T.eq(cs[3].rejected_by, { rule = "paper", clause = "no fit: too few points: 2 for 4 free parameters" })
  T.raises(function() filters.apply("paper", { { size = 3 } }) end,
    "bad argument #2 to 'apply' (cluster 1 has no fit result)")
  T.raises(function() filters.apply("paper", 3) end, "bad argument #2 to 'apply' (table of clusters expected, got number)")
  T.raises(function() filters.apply("nope", cs) end,
    "unknown filter rule 'nope' (did you mean 'none'?) (registered: ablation_a, ablation_b, ablation_c, cod, late_rise, none, paper, raises, steep)")
  T.raises(function() filters.apply(42, cs) end, "filter rule expected (a name, a rule or a function), got number")
  T.raises(function() filters.check("paper", 3) end, "bad argument #2 to 'check' (cluster table expected, got number)")
  T.raises(function() filters.thresholds({ a_mn = 1 }) end,
    "bad option 'a_mn' to 'thresholds' (valid options: a_min, b_min, c_max, c_min, description, name) "
    .. "(did you mean 'a_min'?)")
end)

T.test("verdicts on real fits match the golden file (low_ceiling, flat_near_g)", function()
  local C = { 40.00000000000001, 129.6092169305005, 419.96372783343844, 1360.7792475926433, 4409.238317393953,
    14286.948139434697, 46293.00401697, 150000.00000000003 }
  local low = { 0.1797, 0.2024, 0.2458, 0.2672, 0.2765, 0.2961, 0.3044, 0.2999 }
  local flat = { 0.251, 0.249, 0.252, 0.25, 0.253, 0.251, 0.256, 0.262 }
  local cs = {}
  for _, form in ipairs({ "cod", "f1", "f2", "f3" }) do
    cs[#cs + 1] = { fit = law.fit(form, C, low), size = 40, label = #cs }
  end
  filters.apply("paper", cs)
  T.eq(cs[1].rejected_by, { rule = "paper", clause = "c>=1" })
  T.eq(cs[2].rejected_by, { rule = "paper", clause = "c>=1" })
  T.eq(cs[3].rejected_by, { rule = "paper", clause = "b<=0.1" })
  T.eq(cs[4].rejected_by, { rule = "paper", clause = "b<=0.1" })
  -- flat_near_g: f1/f3 are rejected on b like the reference; f2 passes like the reference.
  T.eq(select(2, filters.check("paper", { fit = law.fit("f1", C, flat), size = 9 })), { rule = "paper", clause = "b<=0.1" })
  T.eq((filters.check("paper", { fit = law.fit("f2", C, flat), size = 9 })), true)
  -- cod on flat_near_g: the reference stopped at a local minimum (c = 0, pass); the
  -- lower-SSE optimum found here has c ~ 4.16 and is rejected (see docs/filters.md).
  local r = law.fit("cod", C, flat)
  T.truthy(r.sse < 1.0782758141314403e-05 * 0.93)
  T.eq(select(2, filters.check("paper", { fit = r, size = 9 })), { rule = "paper", clause = "c>=1" })
end)

T.done()

T.test("the degenerate-fit guard (rule cod) rejects a step fit the paper's rule passes, keeps smooth fits", function()
  local C = {}
  for j = 1, 8 do C[j] = 10 ^ (3 * (j - 1) / 7) end  -- 1e18 .. 1e21 FLOPs in units of 1e18
  -- A noisy flat cluster whose best fit is a step: flat at g through seven points, a jump at the eighth.
  local flat = { 0.47, 0.52, 0.45, 0.55, 0.44, 0.51, 0.49, 0.58 }
  local step = law.curve("cod", { a = 2.4e10, b = 1.95, c = 0, g = 0.49 }, 1)
  local function as_cluster(fit, y) return { fit = fit, size = 40, y = y, x = C, label = 1 } end
  T.truthy(filters.check("paper", as_cluster(step, flat)), "the paper's rule passes the step")
  local ok, why = filters.check("cod", as_cluster(step, flat))
  T.eq(ok, false)
  T.truthy(why.clause:find("^degenerate: the curve leaves its floor at 1 of 8 ladder points"), why.clause)
  -- Smooth rising clusters (fitted, not made up) pass both rules.
  for _, p in ipairs({ { a = 6, b = 0.4, c = 0.1, g = 0 }, { a = 30, b = 0.5, c = 0.05, g = 0.25 },
    { a = 3, b = 0.2, c = 0.3, g = 0 } }) do
    local truth = law.curve("cod", p, 1)
    local y = {}
    for j, x in ipairs(C) do y[j] = truth:eval(x) + 0.004 * ((j % 3) - 1) end
    local fit = law.fit("cod", C, y)
    T.truthy(fit.ok)
    T.truthy(filters.check("paper", as_cluster(fit, y)), "paper passes a smooth fit")
    local ok2, why2 = filters.check("cod", as_cluster(fit, y))
    T.truthy(ok2, why2 and why2.clause)
  end
  -- Without the ladder's compute the test cannot judge and passes.
  T.truthy(filters.check("cod", { fit = step, size = 40, y = flat }))
end)
