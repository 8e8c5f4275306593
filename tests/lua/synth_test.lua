-- cod.synth: synthetic ladders from Lua — shapes, roles, truth, determinism, options and errors.
local T = require("testlib")
local synth = require("cod.synth")

local function small(extra)
  local o = {
    seed = 3, models = 6, anchors = 1, trials = 100,
    sets = {
      { name = "s1", items = 600, mix = { emergent = 0.7, non_emergent = 0.1, ceiling = 0.1, noisy = 0.05, zero = 0.05 } },
      { name = "s2", items = 300, mix = { emergent = 1 } },
    },
  }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

T.test("ladder returns a cod.Dataset and a truth table", function()
  local ds, truth = synth.ladder(small())
  T.eq(tostring(ds), "cod.Dataset(2 sets, 900 items, 8 models)")
  T.eq(ds:sets(), { "s1", "s2" })
  T.eq(truth.set_names, { "s1", "s2" })
  T.eq(truth.models, { "synth-1", "synth-2", "synth-3", "synth-4", "synth-5", "synth-6", "synth-anchor-1", "synth-target" })
  T.eq(truth.roles, { "ladder", "ladder", "ladder", "ladder", "ladder", "ladder", "anchor", "target" })
  T.eq(truth.seed, 3)
  T.eq(truth.compute_unit, 1e18)
  -- The same userdata type as cod.data's: its methods work.
  local sel = ds:select()
  T.eq(sel.ladder, { "synth-1", "synth-2", "synth-3", "synth-4", "synth-5", "synth-6" })
  T.eq(sel.target, "synth-target")
  T.eq(sel.anchors, { "synth-anchor-1" })
  T.eq(ds:compute_unit(), 1e18)
  T.near(ds:compute("synth-1"), 1, 1e-12)
  T.near(ds:compute("synth-6"), 1000, 1e-9)
  T.near(ds:compute("synth-target"), 30000, 1e-8)
  T.near(truth.compute[8], 30000, 1e-8)
end)

T.test("models carry params, tokens (D = 20N), compute (= 6ND), loss", function()
  local ds = synth.ladder(small())
  for _, m in ipairs(ds:models()) do
    T.near(m.tokens / m.params, 20, 1e-9, m.name)
    T.near(6 * m.params * m.tokens / m.compute_flops, 1, 1e-12, m.name)
    T.eq(m.family, "synth")
    T.truthy(type(m.loss) == "number", "loss is set")
  end
  local ds2 = synth.ladder(small({ model_loss = false, tokens_per_param = 5 }))
  for _, m in ipairs(ds2:models()) do
    T.eq(m.loss, nil)
    T.near(m.tokens / m.params, 5, 1e-9)
  end
end)

T.test("set shapes, trial counts and kind counts", function()
  local ds, truth = synth.ladder(small())
  local P = ds:pass("s1")
  T.eq(P:rows(), 600)
  T.eq(P:cols(), 8)
  local n = ds:trials("s1")
  T.eq(n:rows(), 600)
  T.eq(n:get(1, 1), 100)
  T.eq(n:get(600, 8), 100)
  T.eq(ds:items("s1")[1], "item-1")
  T.eq(#ds:items("s2"), 300)
  local st = truth.sets.s1
  T.eq(st.items, 600)
  T.eq(st.trials, 100)
  T.eq(st.counts, { emergent = 420, non_emergent = 60, ceiling = 60, noisy = 30, zero = 30 })
  T.eq(#st.kinds, 600)
  T.eq(#st.alpha, 600)
  T.eq(#st.metric, 8)
  T.eq(st.prob:rows(), 600)
  T.eq(st.prob:cols(), 8)
  T.eq(truth.sets.s2.counts, { emergent = 300, non_emergent = 0, ceiling = 0, noisy = 0, zero = 0 })
  T.eq(truth.sets.s2.kind_metric.zero, nil, "kinds with no items have no kind_metric")
  T.eq(#truth.sets.s2.kind_metric.emergent, 8)
  -- Zero items are all zero in the data too.
  for i, k in ipairs(st.kinds) do
    if k == "zero" then
      for j = 1, 8 do T.eq(P:get(i, j), 0) end
      T.eq(st.cap[i], 0)
    end
  end
end)

T.test("sampled metric agrees with the truth within 4 standard errors", function()
  local ds, truth = synth.ladder(small())
  for _, set in ipairs(truth.set_names) do
    local st = truth.sets[set]
    for j, model in ipairs(truth.models) do
      local var = 0
      for i = 1, st.items do
        local p = st.prob:get(i, j)
        var = var + p * (1 - p) / 100
      end
      local se = math.sqrt(var) / st.items
      local got = ds:metric(set, model)
      T.truthy(math.abs(got - st.metric[j]) <= 4 * se + 1e-12,
        ("%s %s: sampled %.5f vs truth %.5f (se %.5f)"):format(set, model, got, st.metric[j], se))
    end
  end
  -- The expected metric rises across the ladder and on to the target.
  local m = truth.sets.s1.metric
  for j = 2, 8 do T.truthy(m[j] > m[j - 1], "metric rises at model " .. j) end
end)

T.test("trials = 0 gives the exact probabilities and no trial counts", function()
  local ds, truth = synth.ladder(small({ trials = 0 }))
  T.eq(ds:trials("s1"), nil)
  T.eq(ds:pass("s1"):totable(), truth.sets.s1.prob:totable())
  T.near(ds:metric("s1", "synth-target"), truth.sets.s1.metric[8], 1e-12)
end)

T.test("single_answer gives 0/1 correctness with one trial", function()
  local o = small()
  o.trials, o.single_answer = nil, true
  local ds, truth = synth.ladder(o)
  T.eq(truth.sets.s1.trials, 1)
  local P, N = ds:pass("s1"), ds:trials("s1")
  for i = 1, P:rows() do
    for j = 1, P:cols() do
      local v = P:get(i, j)
      if v ~= 0 and v ~= 1 then error("pass rate " .. v .. " is not 0/1") end
      if N:get(i, j) ~= 1 then error("trial count is not 1") end
    end
  end
end)

T.test("deterministic for a seed; another seed differs; truth independent of trials", function()
  local a_ds, a_truth = synth.ladder(small())
  local b_ds, b_truth = synth.ladder(small())
  T.eq(a_ds:pass("s1"):totable(), b_ds:pass("s1"):totable())
  T.eq(a_truth.sets.s2.kinds, b_truth.sets.s2.kinds)
  T.eq(a_truth.sets.s1.alpha, b_truth.sets.s1.alpha)
  local c_ds, c_truth = synth.ladder(small({ seed = 4 }))
  T.truthy(not T.deep_eq(a_ds:pass("s1"):totable(), c_ds:pass("s1"):totable()), "seed 4 differs from seed 3")
  T.truthy(not T.deep_eq(a_truth.sets.s1.alpha, c_truth.sets.s1.alpha), "parameters differ too")
  local _, e_truth = synth.ladder(small({ trials = 0 }))
  T.eq(e_truth.sets.s1.prob:totable(), a_truth.sets.s1.prob:totable())
end)

T.test("per-set trials, call-wide items and mix, default set", function()
  local ds, truth = synth.ladder{ seed = 1, items = 50, mix = { emergent = 0.5, zero = 0.5 },
    sets = { { name = "a" }, { name = "b", trials = 0, items = 20 }, {} } }
  T.eq(ds:sets(), { "a", "b", "set-3" })
  T.eq(#ds:items("a"), 50)
  T.eq(#ds:items("b"), 20)
  T.eq(ds:trials("b"), nil)
  T.eq(ds:trials("a"):get(1, 1), 100)
  T.eq(truth.sets.a.counts.zero, 25)
  local ds2, truth2 = synth.ladder()
  T.eq(ds2:sets(), { "synth" })
  T.eq(#ds2:items("synth"), 1000)
  T.eq(#truth2.models, 9)
end)

T.test("explicit compute lists and target/anchor options", function()
  local ds = synth.ladder{ compute = { 1e19, 1e20, 1e21 }, target_flops = 1e23, anchor_flops = { 5e21, 2e22 }, items = 10 }
  local names = {}
  for _, m in ipairs(ds:models()) do names[#names + 1] = m.name .. "=" .. string.format("%g", m.compute_flops) end
  T.eq(names, { "synth-1=1e+19", "synth-2=1e+20", "synth-3=1e+21", "synth-anchor-1=5e+21", "synth-anchor-2=2e+22",
    "synth-target=1e+23" })
  local ds2 = synth.ladder{ models = 3, target = false, items = 10 }
  T.eq(#ds2:models(), 3)
  local ds3 = synth.ladder{ models = 4, min_flops = 1e19, max_flops = 1e22, target_factor = 100, items = 10 }
  T.near(ds3:model("synth-target").compute_flops, 1e24, 1e9)
end)

T.test("kind ranges: constants and pairs, merged per set", function()
  local _, truth = synth.ladder{ seed = 2, trials = 0,
    kinds = { emergent = { alpha = 5, beta = { 0.3, 0.3 } } },
    sets = { { name = "a", items = 40, mix = { emergent = 1 } },
             { name = "b", items = 40, mix = { emergent = 1 }, kinds = { emergent = { guess = 0.25 } } } } }
  for i = 1, 40 do
    T.eq(truth.sets.a.alpha[i], 5)
    T.eq(truth.sets.a.beta[i], 0.3)
    T.eq(truth.sets.a.guess[i], 0)
    T.eq(truth.sets.b.alpha[i], 5, "the call's kinds carry into the set")
    T.eq(truth.sets.b.guess[i], 0.25)
  end
  -- With a 0.25 guess rate the probability never falls below 0.25.
  T.truthy(truth.sets.b.prob:get(1, 1) >= 0.25)
end)

T.test("defaults and kinds", function()
  local d = synth.defaults()
  T.eq(d.mix, { emergent = 0.7, non_emergent = 0.1, ceiling = 0.1, noisy = 0.05, zero = 0.05 })
  T.eq(d.kinds.emergent.alpha, { 2, 30 })
  T.eq(d.kinds.ceiling.cap, { 0.3, 0.8 })
  T.eq(d.kinds.noisy.noise, { 0.05, 0.15 })
  T.eq(d.kinds.non_emergent.beta, { 0, 0.02 })
  T.eq(d.kinds.zero, nil)
  T.eq(synth.kinds(), { "emergent", "non_emergent", "ceiling", "noisy", "zero" })
  -- defaults() round-trips as options.
  local ds = synth.ladder{ items = 20, mix = d.mix, kinds = d.kinds }
  T.eq(#ds:items("synth"), 20)
end)

T.test("metric helper: whole set, by name or index, and subsets", function()
  local _, truth = synth.ladder(small({ trials = 0 }))
  T.eq(synth.metric(truth, "s1", "synth-target"), truth.sets.s1.metric[8])
  T.eq(synth.metric(truth, "s1", 8), truth.sets.s1.metric[8])
  local p = truth.sets.s1.prob
  T.near(synth.metric(truth, "s1", "synth-2", { 1, 5, 9 }), (p:get(1, 2) + p:get(5, 2) + p:get(9, 2)) / 3, 1e-15)
  T.raises(function() synth.metric(truth, "nope", 1) end, "bad argument #2 to 'metric' (no set 'nope'; sets: s1, s2)")
  T.raises(function() synth.metric(truth, "s1", "gpt") end, "bad argument #3 to 'metric' (no model 'gpt')")
  T.raises(function() synth.metric(truth, "s1", 9) end,
    "bad argument #3 to 'metric' (model name or index in [1, 8] expected)")
  T.raises(function() synth.metric(truth, "s1", 1, { 0 }) end,
    "bad argument #4 to 'metric' (element 1 must be an index in [1, 600])")
end)

T.test("paper_like preset", function()
  local ds, truth = synth.paper_like{ seed = 5, scale = 0.1 }
  T.eq(#ds:sets(), 8)
  T.eq(ds:sets()[1], "gsm8k_like")
  T.eq(#ds:models(), 9)
  T.eq(ds:select().target, "synth-target")
  T.eq(#ds:select().ladder, 8)
  T.eq(#ds:items("math_like"), 300)
  T.eq(ds:trials("math_like"):get(1, 1), 100)
  -- Multiple-choice-like sets guess; generative ones do not; math_like is harder.
  local function guesses(set)
    local seen = {}
    for i, k in ipairs(truth.sets[set].kinds) do
      if k ~= "zero" then seen[truth.sets[set].guess[i]] = true end
    end
    return seen
  end
  T.eq(guesses("agieval_like"), { [0.25] = true })
  T.eq(guesses("mmlu_pro_like"), { [0.1] = true })
  T.eq(guesses("gsm8k_like"), { [0] = true })
  for i, k in ipairs(truth.sets.math_like.kinds) do
    if k == "emergent" then T.truthy(truth.sets.math_like.alpha[i] >= 4, "math_like alpha >= 4") end
  end
  local ds1 = synth.paper_like{ seed = 5, scale = 0.05, single_answer = true }
  T.eq(ds1:trials("drop_like"):get(1, 1), 1)
  local ds2 = synth.paper_like{ seed = 5, scale = 0.05, anchors = 2 }
  T.eq(#ds2:select().anchors, 2)
  T.raises(function() synth.paper_like{ sed = 1 } end,
    "bad option 'sed' to 'paper_like' (valid options: anchors, models, scale, seed, single_answer, target_factor, "
    .. "trials) (did you mean 'seed'?)")
  T.raises(function() synth.paper_like{ scale = 0 } end,
    "bad option 'scale' to 'paper_like' (a finite number > 0 expected, got 0)")
  T.raises(function() synth.paper_like{ seed = 1.5 } end,
    "bad option 'seed' to 'paper_like' (integer expected, got 1.5)")
  T.raises(function() synth.paper_like(3) end, "bad argument #1 to 'paper_like' (table expected, got number)")
end)

T.test("the full paper_like preset has the documented size", function()
  local ds, truth = synth.paper_like()
  local total = 0
  for _, s in ipairs(ds:sets()) do total = total + #ds:items(s) end
  T.eq(total, 19319)
  T.eq(truth.sets.gsm8k_like.counts.emergent, 1055)
end)

T.test("bad options raise clear errors", function()
  T.raises(function() synth.ladder{ modelz = 3 } end,
    "bad option 'modelz' to 'ladder' (valid options: seed, models, min_flops, max_flops, compute, tokens_per_param, " ..
    "target, target_factor, target_flops, anchors, anchor_flops, compute_unit, trials, single_answer, items, mix, " ..
    "kinds, sets, model_loss)")
  T.raises(function() synth.ladder("x") end, "bad argument #1 to 'ladder' (table expected, got string)")
  T.raises(function() synth.ladder{ models = -1 } end, "models must be >= 1, got -1")
  T.raises(function() synth.ladder{ models = 2.5 } end,
    "bad option 'models' to 'ladder' (integer expected, got a non-integer number)")
  T.raises(function() synth.ladder{ items = -5 } end, "set 'synth': items must be >= 1, got -5")
  T.raises(function() synth.ladder{ trials = -1 } end, "trials must be in [0, 1000000000], got -1")
  T.raises(function() synth.ladder{ anchors = -1 } end, "anchors must be >= 0, got -1")
  T.raises(function() synth.ladder{ min_flops = 1e21, max_flops = 1e20 } end,
    "max_flops (1e+20) must be above min_flops (1e+21) for a ladder of 8 models")
  T.raises(function() synth.ladder{ min_flops = 0 } end, "min_flops must be a finite number > 0, got 0")
  T.raises(function() synth.ladder{ compute = { 1e20, 1e19 } } end,
    "ladder compute must be strictly increasing: element 2 = 1e+19 is not above element 1 = 1e+20")
  T.raises(function() synth.ladder{ compute = { 1e20 }, models = 3 } end,
    "bad option 'compute' to 'ladder' (give either compute or models/min_flops/max_flops, not 'models' too)")
  T.raises(function() synth.ladder{ compute = {} } end,
    "bad option 'compute' to 'ladder' (array of numbers expected, got an empty table)")
  T.raises(function() synth.ladder{ compute = { 1e20, "x" } } end,
    "bad option 'compute' to 'ladder' (element 2 is a string, expected a number)")
  T.raises(function() synth.ladder{ target = false, target_factor = 10 } end,
    "bad option 'target_factor' to 'ladder' (given with target = false)")
  T.raises(function() synth.ladder{ target_factor = 10, target_flops = 1e23 } end,
    "bad option 'target_flops' to 'ladder' (give either target_factor or target_flops)")
  T.raises(function() synth.ladder{ target_factor = 1 } end, "target_factor must be a finite number > 1, got 1")
  T.raises(function() synth.ladder{ target_flops = 1e20 } end,
    "target_flops (1e+20) must be finite and above the largest ladder compute (1e+21)")
  T.raises(function() synth.ladder{ anchors = 1, anchor_flops = { 1e21 } } end,
    "bad option 'anchor_flops' to 'ladder' (give either anchors (a count) or anchor_flops)")
  T.raises(function() synth.ladder{ single_answer = true, trials = 100 } end,
    "bad option 'single_answer' to 'ladder' (single_answer = true means trials = 1; drop 'trials')")
  T.raises(function() synth.ladder{ mix = { emergent = 0.7, zero = 0.2 } } end,
    "set 'synth': mix proportions sum to 0.9, expected 1 (emergent=0.7, zero=0.2)")
  T.raises(function() synth.ladder{ mix = { emergent = 1.1, zero = -0.1 } } end,
    "set 'synth': mix proportion of 'zero' must be a finite number >= 0, got -0.1")
  T.raises(function() synth.ladder{ mix = { emergnt = 1 } } end,
    "bad option 'mix.emergnt' to 'ladder' (valid options: emergent, non_emergent, ceiling, noisy, zero)")
  T.raises(function() synth.ladder{ mix = { emergent = "1" } } end,
    "bad option 'mix.emergent' to 'ladder' (number expected, got string)")
  T.raises(function() synth.ladder{ sets = {} } end, "bad option 'sets' to 'ladder' (at least one set is needed)")
  T.raises(function() synth.ladder{ sets = { 5 } } end, "bad option 'sets[1]' to 'ladder' (table expected, got number)")
  T.raises(function() synth.ladder{ sets = { { name = "a" }, { nam = "b" } } } end,
    "bad option 'sets[2].nam' to 'ladder' (valid options: name, items, mix, kinds, trials)")
  T.raises(function() synth.ladder{ sets = { { name = "a" }, { name = "a" } } } end, "set name 'a' is used twice")
  T.raises(function() synth.ladder{ sets = { { name = "a", trials = -2 } } } end,
    "bad option 'sets[1].trials' to 'ladder' (must be >= 0, got -2)")
  T.raises(function() synth.ladder{ sets = { { name = "a", items = "many" } } } end,
    "bad option 'sets[1].items' to 'ladder' (integer expected, got string)")
  T.raises(function() synth.ladder{ kinds = { zero = { cap = 1 } } } end,
    "bad option 'kinds.zero' to 'ladder' (kind 'zero' has no parameters: its items are always 0)")
  T.raises(function() synth.ladder{ kinds = { emergent = { alpa = 1 } } } end,
    "bad option 'kinds.emergent.alpa' to 'ladder' (valid options: alpha, beta, gamma, guess, cap, noise)")
  T.raises(function() synth.ladder{ kinds = { emergent = { alpha = { 1, "x" } } } } end,
    "bad option 'kinds.emergent.alpha' to 'ladder' (a pair of numbers {lo, hi} expected, element 2 is string)")
  T.raises(function() synth.ladder{ sets = { { name = "s", kinds = { ceiling = { cap = { 0.5, 1.5 } } } } } } end,
    "set 's': kind 'ceiling': cap range [0.5, 1.5] must lie in [0, 1]")
  T.raises(function() synth.ladder{ kinds = { noisy = { noise = { 0.2, 0.1 } } } } end,
    "set 'synth': kind 'noisy': noise range [0.2, 0.1] has lo > hi")
  T.raises(function() synth.ladder{ model_loss = true } end,
    "bad option 'model_loss' to 'ladder' (table or false expected, got boolean)")
  T.raises(function() synth.ladder{ model_loss = { scale = 1, exp = 2 } } end,
    "bad option 'model_loss.exp' to 'ladder' (valid options: irreducible, scale, exponent)")
  T.raises(function() synth.ladder{ compute_unit = -1 } end, "compute_unit must be a finite number > 0, got -1")
end)

T.done()
