-- cod.law and cod.extrapolate from Lua: fits of every form, options, Lua forms
-- (and their errors), cluster fits, extrapolation, bad input.

local T = require("testlib")
local law = require("cod.law")
local filters = require("cod.filters")
local ex = require("cod.extrapolate")

-- Golden series (tests/data/golden/fits.json; the engine test reads the file itself).
local C = { 40.00000000000001, 129.6092169305005, 419.96372783343844, 1360.7792475926433, 4409.238317393953,
  14286.948139434697, 46293.00401697, 150000.00000000003 }
local noisy_open = { 0.0007, 0.0399, 0.1377, 0.2748, 0.463, 0.6093, 0.7308, 0.8073 }
local low_ceiling = { 0.1797, 0.2024, 0.2458, 0.2672, 0.2765, 0.2961, 0.3044, 0.2999 }
local C_target = 3800000.0

local function rel(a, b) return math.abs(a - b) / math.abs(b) end

T.test("cod fit matches the golden noisy_open case", function()
  local r = law.fit("cod", C, noisy_open)
  T.truthy(law.is_result(r))
  T.eq(r.ok, true)
  T.eq(r.form, "cod")
  T.eq(r.converged, true)
  T.eq(r.n, 8)
  T.eq(r.free, 4)
  T.eq(r.param_names, { "a", "b", "c", "g" })
  T.eq(r.fit_param_names, { "u", "b", "c", "g" })
  T.truthy(r.sse <= 0.00022009279911349577 * (1 + 1e-6) + 1e-12, "sse no worse than the reference")
  T.truthy(rel(r.params.a, 25.002776918100125) < 1e-4, "a")
  T.truthy(rel(r.params.b, 0.4195083462078393) < 1e-4, "b")
  T.truthy(rel(r.params.c, 0.042203763498111994) < 1e-4, "c")
  T.truthy(r.params.g < 1e-7, "g at its bound")
  T.near(r.r2, 0.9996830265558271, 1e-9)
  T.near(r:eval(C_target), 0.9179372991960699, 1e-5)
  T.near(r.c_ref, math.sqrt(40 * 150000), 1e-6)
  T.near(r.params.a * r.c_ref ^ -r.params.b, r.fit_params[1], 1e-9)
  T.truthy(type(r.status) == "string" and r.status:match("_reached$"), "status " .. tostring(r.status))
  T.truthy(r.evaluations > 0 and r.local_runs == 6)
  local ys = r:eval({ 40, C_target })
  T.eq(#ys, 2)
  T.near(ys[2], r:eval(C_target), 0)
  T.truthy(tostring(r):find("^cod.law result %(cod%): a=25.00") ~= nil, tostring(r))
end)

T.test("f1, f2, f3 on low_ceiling: SSE and the paper verdicts of the reference", function()
  local ref = {
    cod = { sse = 0.00014377815995584843, clause = "c>=1" },
    f1 = { sse = 0.00022827690799253437, clause = "c>=1" },
    f2 = { sse = 0.0017095294207885433, clause = "b<=0.1" },
    f3 = { sse = 0.0017095294207885442, clause = "b<=0.1" },
  }
  for form, want in pairs(ref) do
    local r = law.fit(form, C, low_ceiling)
    T.truthy(r.sse <= want.sse * (1 + 1e-6) + 1e-12, form .. " sse")
    T.truthy(r.sse >= want.sse * (1 - 1e-6), form .. " sse not lower")
    local ok, why = filters.check("paper", { fit = r, size = 40, y = low_ceiling })
    T.eq(ok, false, form)
    T.eq(why, { rule = "paper", clause = want.clause }, form)
  end
end)

T.test("fixed g and caller bounds", function()
  local truth = {}
  for i, c in ipairs(C) do truth[i] = 0.25 + 0.75 * math.exp(-6 * c ^ -0.3 - 0.1) end
  local r = law.fit("cod", C, truth, { fixed = { g = 0.25 } })
  T.eq(r.params.g, 0.25)
  T.eq(r.fixed, { g = true })
  T.eq(r.free, 3)
  T.near(r.params.a, 6, 1e-5)
  T.near(r.params.b, 0.3, 1e-7)
  local b = law.fit("cod", C, truth, { upper = { b = 0.2 } })
  T.near(b.params.b, 0.2, 1e-9)
  local w = law.fit("f3", C, noisy_open, { weights = { 1, 1, 1, 1, 1, 1, 1, 0 }, local_starts = 2 })
  T.eq(w.local_runs, 2)
  T.truthy(w.ok)
end)

T.test("deterministic", function()
  local r1 = law.fit("cod", C, low_ceiling)
  local r2 = law.fit("cod", C, low_ceiling)
  T.eq(r1.fit_params, r2.fit_params)
  T.eq(r1.sse, r2.sse)
end)

T.test("bnsl, loss_power and loss_sigmoid recover their curves", function()
  local Cs, y, L, m = {}, {}, {}, {}
  local function err(c) return 0.05 + 0.8 * c ^ -0.05 * (1 + (c / 3000) ^ (1 / 0.3)) ^ -0.18 end
  for i = 0, 9 do
    local c = 40 * 10 ^ (i * 0.4)
    Cs[#Cs + 1] = c
    y[#y + 1] = 1 - err(c)
    L[#L + 1] = 1.7 + 9 * c ^ -0.3
    m[#m + 1] = 0.25 + 0.75 / (1 + math.exp(4 * (L[#L] - 2.2)))
  end
  local b = law.fit("bnsl", Cs, y)
  T.eq(b.param_names, { "a", "b", "c0", "c1", "d1", "f1" })
  T.near(b.params.d1, 3000, 1e-3)
  T.near(b.params.c1, 0.6, 1e-6)
  T.near(b:eval(1e7), 1 - err(1e7), 1e-9)
  T.eq(law.info("bnsl2").params, { "a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2" })
  T.eq(law.info("bnsl").space, "log_error")
  local lp = law.fit("loss_power", Cs, L)
  T.near(lp.params.E, 1.7, 1e-8)
  T.near(lp.params.A, 9, 1e-7)
  T.near(lp.params.alpha, 0.3, 1e-9)
  local ls = law.fit("loss_sigmoid", L, m)
  T.near(ls.params.k, 4, 1e-7)
  T.near(ls.params.L0, 2.2, 1e-9)
  T.near(ls:eval(2.2), 0.625, 1e-12)
  T.eq(law.info("loss_sigmoid").x_name, "L")
  T.eq(law.forms(), { "cod", "f1", "f2", "f3", "bnsl", "loss_power", "loss_sigmoid" })
end)

T.test("a form written in Lua, with and without a gradient", function()
  local Cs, y = { 1, 2, 4, 8, 16, 32 }, {}
  for i, c in ipairs(Cs) do y[i] = 0.8 * c ^ -0.5 + 0.1 end
  local spec = {
    name = "mine",
    params = { "a", "b", "e" },
    lower = { a = 0, b = 0, e = 0 },
    upper = { b = 5 },
    start = { 1, 1, 0 },
    f = function(c, p) return p.e + p.a * c ^ -p.b end,
  }
  local r = law.fit(law.form(spec), Cs, y)
  T.eq(r.form, "mine")
  T.near(r.params.a, 0.8, 1e-6)
  T.near(r.params.b, 0.5, 1e-6)
  T.near(r.params.e, 0.1, 1e-6)
  T.near(r:eval(4), 0.5, 1e-6)
  T.near(r:eval({ 4 })[1], 0.5, 1e-6)
  -- A raw spec table works too, and an analytic gradient is used when given.
  local calls = 0
  spec.grad = function(c, p)
    calls = calls + 1
    local xb = c ^ -p.b
    return { a = xb, b = -p.a * xb * math.log(c), e = 1 }
  end
  local g = law.fit(spec, Cs, y)
  T.truthy(calls > 0, "grad was called")
  T.near(g.params.b, 0.5, 1e-8)
  -- Fit clusters with a Lua form.
  local P = {}
  for i = 1, 4 do P[i] = y end
  local cl = law.fit_clusters(P, { 1, 1, 2, 2 }, Cs, { form = spec, threads = 2 })
  T.eq(#cl, 2)
  T.near(cl[2].fit.params.a, 0.8, 1e-6)
  T.near(cl[2].fit:eval(4), 0.5, 1e-6)
  -- An error in one cluster's fit stops the others: f is not called again.
  local seen = 0
  local failing = law.form({ name = "failing", params = { "a" }, start = { 1 },
    f = function(c, p)
      seen = seen + 1
      error("no", 0)
    end })
  T.raises(function() law.fit_clusters(P, { 1, 1, 2, 2 }, Cs, { form = failing }) end, "form 'failing': no")
  T.eq(seen, 1)
  -- law.curve from saved parameters.
  local cv = law.curve(law.form(spec), { a = 0.8, b = 0.5, e = 0.1 })
  T.near(cv:eval(4), 0.5, 1e-15)
end)

T.test("a Lua error inside the form leaves NLopt cleanly", function()
  local n = 0
  local boom = law.form({ name = "mine", params = { "a", "b" }, start = { 1, 1 },
    f = function(c, p)
      n = n + 1
      if n == 500 then error("boom", 0) end -- well inside a local run
      return p.a * c ^ -p.b
    end })
  T.raises(function() law.fit(boom, C, noisy_open) end, "form 'mine': boom")
  T.eq(n, 500, "no call after the error")
  -- Raised while the start points are scored, with a position.
  local early = law.form({ name = "early", params = { "a" }, start = { 1 }, f = function() error("bad start") end })
  T.raises(function() law.fit(early, C, noisy_open) end, "^form 'early': .*law_test%.lua:%d+: bad start$")
  local tbl = law.form({ name = "tbl", params = { "a" }, start = { 1 }, f = function() error({ code = 1 }) end })
  T.raises(function() law.fit(tbl, C, noisy_open) end, "form 'tbl': (error object is a table value)")
  local nonum = law.form({ name = "nonum", params = { "a" }, start = { 1 }, f = function() return "x" end })
  T.raises(function() law.fit(nonum, C, noisy_open) end, "form 'nonum': f must return a number, got string (C = 40.0)")
  local badgrad = law.form({ name = "badgrad", params = { "a" }, start = { 1 }, f = function(c, p) return p.a / c end,
    grad = function() return { b = 1 } end })
  T.raises(function() law.fit(badgrad, C, noisy_open) end,
    "form 'badgrad': grad must return a number for 'a', got nil")
  -- The state is healthy afterwards.
  T.eq(law.fit("f3", C, noisy_open).ok, true)
  n = 0
  T.eq(law.fit(boom, { 1, 2, 3 }, { 1, 0.5, 0.33 }).ok, true)
end)

T.test("law.form checks its spec", function()
  local f = function(c, p) return p.a end
  T.raises(function() law.form(3) end, "bad argument #1 to 'form' (table expected, got number)")
  T.raises(function() law.form({ params = { "a" }, start = { 1 }, f = f }) end, "law.form: name must be a non-empty string")
  T.raises(function() law.form({ name = "cod", params = { "a" }, start = { 1 }, f = f }) end,
    "law.form: 'cod' is the name of a built-in form")
  T.raises(function() law.form({ name = "m", params = {}, start = { 1 }, f = f }) end,
    "law.form: params must be a non-empty list of names")
  T.raises(function() law.form({ name = "m", params = { "a", "a" }, start = { 1, 1 }, f = f }) end,
    "law.form: parameter 'a' is listed twice")
  T.raises(function() law.form({ name = "m", params = { "a" }, start = { 1 } }) end, "law.form: f must be a function")
  T.raises(function() law.form({ name = "m", params = { "a" }, f = f }) end,
    "law.form: give start (one start point) or starts (a list)")
  T.raises(function() law.form({ name = "m", params = { "a" }, start = { 1, 2 }, f = f }) end,
    "law.form: start has 2 values for 1 parameters")
  T.raises(function() law.form({ name = "m", params = { "a" }, start = { z = 1 }, f = f }) end,
    "law.form: start names unknown parameter 'z'")
  T.raises(function() law.form({ name = "m", params = { "a" }, start = { 1 }, lower = { 2 }, upper = { 1 }, f = f }) end,
    "law.form: bounds of 'a' are empty: [2, 1]")
  T.raises(function() law.form({ name = "m", params = { "a" }, start = { 1 }, f = f, strat = 1 }) end,
    "law.form: unknown field 'strat' (fields: name, params, lower, upper, start, starts, f, grad)")
  T.raises(function() law.fit({ name = "m", params = { "a" }, f = f }, C, noisy_open) end,
    "law.form: give start (one start point) or starts (a list)")
end)

T.test("outcomes with a reason, not errors", function()
  local r = law.fit("cod", { 1, 10, 100 }, { 0.2, 0.3, 0.5 })
  T.eq(r.ok, false)
  T.eq(r.reason, "too few points: 3 for 4 free parameters")
  T.eq(r.status, "not_run")
  T.eq(r.converged, false)
  T.eq(r.params, nil)
  T.raises(function() r:eval(5) end,
    "cannot evaluate a failed fit of form 'cod': too few points: 3 for 4 free parameters")
  T.eq(tostring(r), "cod.law result (cod): no fit: too few points: 3 for 4 free parameters")
  local k = law.fit("f2", C, { 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25 })
  T.eq(k.reason, "y is constant (0.25 at all 8 points): no curve to fit")
end)

T.test("bad input raises with exact messages", function()
  local y = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 }
  T.raises(function() law.fit("cod", { 1, 2, 3 }, y) end, "C has 3 values but y has 8")
  T.raises(function() law.fit("cod", nil, y) end, "bad argument #2 to 'fit' (table expected, got nil)")
  T.raises(function() law.fit("cod", C, { 0.1, "x" }) end,
    "bad argument #3 to 'fit' (element 2 is a string, expected a number)")
  T.raises(function() law.fit(3, C, y) end, "bad argument #1 to 'fit' (form name or form table expected, got number)")
  local nan = { 0.1, 0.2, 0 / 0, 0.4, 0.5, 0.6, 0.7, 0.8 }
  T.raises(function() law.fit("cod", C, nan) end, "y at point 3 of 8 is NaN")
  local big = { 0.1, 0.2, 1.5, 0.4, 0.5, 0.6, 0.7, 0.8 }
  T.raises(function() law.fit("cod", C, big) end, "y at point 3 of 8 is 1.5, outside [0, 1] (form 'cod')")
  T.raises(function() law.fit("bnsl", C, { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1 }) end,
    "y at point 8 of 8 is 1, outside [0, 1) (form 'bnsl' fits log(1 - y))")
  local c0 = { 0, 2, 3, 4, 5, 6, 7, 8 }
  T.raises(function() law.fit("cod", c0, y) end, "C at point 1 of 8 is 0, must be positive and finite")
  local cneg = { 1, 2, 3, -4, 5, 6, 7, 8 }
  T.raises(function() law.fit("f3", cneg, y) end, "C at point 4 of 8 is -4, must be positive and finite")
  T.raises(function() law.fit("nope", C, y) end,
    "unknown form 'nope' (built-in forms: cod, f1, f2, f3, bnsl, loss_power, loss_sigmoid, bnslK for K breaks)")
  T.raises(function() law.fit("cod", C, y, { fixd = { g = 0 } }) end,
    "bad option 'fixd' to 'fit' (valid options: weights, fixed, lower, upper, starts, local_starts, max_eval, ftol_rel, xtol_rel)")
  T.raises(function() law.fit("cod", C, y, { fixed = { a = 2 } }) end,
    "cannot fix 'a': not a fit parameter of form 'cod' (fit parameters: u, b, c, g)")
  T.raises(function() law.fit("cod", C, y, { fixed = { g = "x" } }) end,
    "bad option 'fixed' to 'fit' (g must be a number, got string)")
  T.raises(function() law.fit("cod", C, y, { fixed = { g = 1 } }) end,
    "fixed g = 1 is outside its bounds [0, 0.999999999]")
  T.raises(function() law.fit("cod", C, y, { weights = { 1, 2 } }) end, "weights has 2 values but y has 8")
  T.raises(function() law.fit("cod", C, y, { local_starts = 0 }) end,
    "bad option 'local_starts' to 'fit' (must be in [1, 10000], got 0)")
  T.raises(function() law.fit("cod", C, y, { starts = { { 1, 2 } } }) end,
    "a start point has 2 values, form 'cod' has 4 fit parameters")
  T.raises(function() law.curve("cod", { a = 1, b = 1, c = 0 }) end,
    "bad argument #2 to 'curve' (parameter 'g' is a nil, expected a number)")
  T.raises(function() law.fit("cod", C, noisy_open):eval(0) end, "C must be positive and finite, got 0")
end)

-- A small labelled item set: three clusters of 20 items around cod curves, 4 unclustered.
local function item_set()
  local P, labels = {}, {}
  local as = { 3, 8, 20 }
  local seed = 12345
  local function rnd()
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  end
  for k = 1, 3 do
    for _ = 1, 20 do
      local row = {}
      for j, c in ipairs(C) do
        local p = 0.25 + 0.75 * math.exp(-as[k] * c ^ -0.3 - 0.05) + (rnd() - 0.5) * 0.04
        row[j] = math.min(1, math.max(0, p))
      end
      P[#P + 1] = row
      labels[#labels + 1] = k == 3 and 9 or k
    end
  end
  for _ = 1, 4 do
    P[#P + 1] = { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 }
    labels[#labels + 1] = -1
  end
  return P, labels
end

T.test("fit_clusters: means, order, threads", function()
  local P, labels = item_set()
  local cl = law.fit_clusters(P, labels, C)
  T.eq(#cl, 3)
  T.eq({ cl[1].label, cl[2].label, cl[3].label }, { 1, 2, 9 }, "Lua labels come back as given (1-based ids)")
  T.eq(cl[2].size, 20)
  local m = 0
  for i = 21, 40 do m = m + P[i][5] end
  T.near(cl[2].y[5], m / 20, 1e-14)
  T.eq(cl[2].fit.form, "cod")
  local direct = law.fit("cod", C, cl[2].y)
  T.eq(cl[2].fit.fit_params, direct.fit_params)
  local two = law.fit_clusters(P, labels, C, { threads = 2, form = "cod" })
  for k = 1, 3 do T.eq(two[k].fit.fit_params, cl[k].fit.fit_params) end
  local f3 = law.fit_clusters(P, labels, C, { form = "f3", local_starts = 3 })
  T.eq(f3[1].fit.form, "f3")
  T.eq(f3[1].fit.local_runs, 3)
end)

T.test("fit_clusters bad input", function()
  local P, labels = item_set()
  T.raises(function() law.fit_clusters(P, { 1, 2 }, C) end,
    "labels has 2 values but the pass-rate matrix has 64 items (rows)")
  T.raises(function() law.fit_clusters(P, labels, { 1, 2 }) end,
    "compute has 2 values but the pass-rate matrix has 8 models (columns)")
  T.raises(function() law.fit_clusters(P, labels, C, { threads = 0 }) end,
    "bad option 'threads' to 'fit_clusters' (must be in [1, 256], got 0)")
  T.raises(function() law.fit_clusters(P, labels, C, { form = 5 }) end,
    "bad option 'form' to 'fit_clusters' (form name or form table expected, got number)")
  local bad = { table.unpack(labels) }
  bad[3] = 0.5
  T.raises(function() law.fit_clusters(P, bad, C) end,
    "bad argument #2 to 'fit_clusters' (label of item 3 must be a cluster id 1, 2, ... or -1 (none))")
  bad[3] = -3
  T.raises(function() law.fit_clusters(P, bad, C) end,
    "bad argument #2 to 'fit_clusters' (label of item 3 must be a cluster id 1, 2, ... or -1 (none))")
  bad[3] = 0
  T.raises(function() law.fit_clusters(P, bad, C) end,
    "bad argument #2 to 'fit_clusters' (label of item 3 must be a cluster id 1, 2, ... or -1 (none))",
    "0 is not a Lua cluster id (ids are 1-based in Lua)")
  local Q = {}
  for i, row in ipairs(P) do Q[i] = { table.unpack(row) } end
  Q[2][4] = 1.25
  T.raises(function() law.fit_clusters(Q, labels, C) end, "pass rate of item 2, model 4 is 1.25, outside [0, 1]")
end)

T.test("extrapolate: size-weighted subset prediction, reasons, run()", function()
  local P, labels = item_set()
  local cl = law.fit_clusters(P, labels, C)
  cl[1].extrapolatable, cl[2].extrapolatable, cl[3].extrapolatable = true, false, true
  local pr = ex.predict(cl, C_target)
  T.eq(pr.ok, true)
  T.eq(pr.size, 40)
  T.eq(pr.total, 60)
  T.near(pr.value, (20 * cl[1].fit:eval(C_target) + 20 * cl[3].fit:eval(C_target)) / 40, 1e-15)
  T.eq(pr.clusters[2].extrapolatable, false)
  T.eq(pr.clusters[2].prediction, cl[2].fit:eval(C_target), "kept although not extrapolatable")
  T.eq(pr.clusters[3].label, 9)

  for _, c in ipairs(cl) do c.extrapolatable = false end
  local none = ex.predict(cl, C_target)
  T.eq(none.ok, false)
  T.eq(none.reason, "no extrapolatable cluster")
  T.eq(none.value, nil)
  T.eq(#none.clusters, 3)
  T.eq(ex.predict({}, C_target).reason, "no clusters to extrapolate")

  -- Through the filter, in one call: the paper's rule on these curves.
  local pred, clusters = ex.run(P, labels, C, C_target, { rule = "none", form = "cod" })
  T.eq(pred.ok, true)
  T.eq(pred.size, 60)
  T.eq(clusters[1].extrapolatable, true)
  local strict = filters.thresholds({ a_min = 1e9, name = "impossible" })
  local p2, c2 = ex.run(P, labels, C, C_target, { rule = strict })
  T.eq(p2.ok, false)
  T.eq(p2.reason, "no extrapolatable cluster")
  T.eq(c2[1].rejected_by, { rule = "impossible", clause = "a<=1000000000" })
  T.eq(p2.clusters[1].rejected_by, { rule = "impossible", clause = "a<=1000000000" })

  T.raises(function() ex.predict(cl, 0) end, "target compute must be positive and finite, got 0")
  T.raises(function() ex.predict(cl, "x") end, "bad argument #2 to 'predict' (number expected, got string)")
  T.raises(function() ex.predict({ { size = 3 } }, 1) end, "bad argument #1 to 'predict' (cluster 1 has no fit result)")
  local failed = { { fit = law.fit("cod", { 1, 2 }, { 0.1, 0.2 }), size = 5, label = 4, extrapolatable = true } }
  T.raises(function() ex.predict(failed, 1) end,
    "cluster 4 is marked extrapolatable but its fit failed: too few points: 2 for 4 free parameters")
  T.raises(function() ex.run(P, labels, C, C_target, { rul = "paper" }) end,
    "bad option 'rul' to 'run' (valid options: fixed, form, ftol_rel, local_starts, lower, max_eval, rule, starts, "
    .. "threads, upper, weights, xtol_rel) (did you mean 'rule'?)")
  T.raises(function() ex.run(P, labels, C, C_target, { rule = "nope" }) end,
    "unknown filter rule 'nope' (did you mean 'none'?) (registered: ablation_a, ablation_b, ablation_c, cod, none, paper)")
end)

T.done()
