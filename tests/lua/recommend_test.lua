-- cod.recommend: backtest tasks, candidate lists, the bias correction and the intervals
-- (split from predict_test.lua; the end-to-end recommendation tests stay there).

local T = require("testlib")
local synth = require("cod.synth")
local predict = require("cod.predict")

T.test("backtest tasks: the top model from cut ladders, and lower targets when asked for", function()
  local recommend = require("cod.recommend")
  local ladder, C = {}, {}
  for i = 1, 8 do ladder[i], C[i] = "m" .. i, 2 ^ i end
  local tasks = recommend.tasks(ladder, C)
  T.eq(#tasks, recommend.cuts)
  for k, t in ipairs(tasks) do
    T.eq(t.target, "m8")
    T.eq(#t.ladder, 8 - k)
    T.near(t.distance, k * math.log(2), 1e-12)
    T.eq(recommend.task_label(t), tostring(k))
  end
  -- Lower targets: the 2nd and 3rd largest, each from the ladder below it (one cut).
  tasks = recommend.tasks(ladder, C, 3, 3)
  T.eq(#tasks, 5)
  T.eq(tasks[4].target, "m7")
  T.eq(tasks[4].target_index, 7)
  T.eq(#tasks[4].ladder, 6)
  T.eq(recommend.task_label(tasks[4]), "#2 1")
  T.eq(tasks[5].target, "m6")
  T.eq(tasks[5].id, 5)
  -- A cut ladder keeps recommend.min_ladder models: a 6-model ladder has one cut.
  T.eq(#recommend.tasks({ "a", "b", "c", "d", "e", "f" }, { 1, 2, 3, 4, 5, 6 }), 1)
end)

T.test("removing each candidate's systematic backtest error brings a paper-like ladder closer to the truth", function()
  -- The candidates over-predict together on this generator (docs/recommend.md, third round):
  -- the correction must lower the mean error, not just move it, and leave COD a member.
  local recommend = require("cod.recommend")
  local ds = synth.paper_like({ seed = 6, scale = 0.12, anchors = 2, target_factor = 5 })
  local shrink = recommend.bias_shrink
  recommend.bias_shrink = 0
  local plain = predict.run(ds, { progress = false })
  recommend.bias_shrink = shrink
  local corrected = predict.run(ds, { progress = false })
  T.truthy(corrected.summary.fe.mean < 0.8 * plain.summary.fe.mean,
    ("mean FE %.2f corrected vs %.2f not"):format(corrected.summary.fe.mean, plain.summary.fe.mean))
  T.truthy(corrected.summary.fe.mean <= 0.5, ("mean FE %.2f"):format(corrected.summary.fe.mean))
  local s = corrected.sets[1]
  T.truthy(s.recommendation.bias_correction > 0, "the candidates over-predict: the correction lowers the headline")
  T.eq(plain.sets[1].recommendation.bias_correction, 0)
  T.truthy(s.recommendation.weights.cod > 0.03, ("cod's weight %.3f"):format(s.recommendation.weights.cod))
  T.truthy(corrected.candidate_weights.cod.bias > 0, "cod's trend: over-prediction")
end)

T.test("intervals on a small synthetic batch cover the truth about 90% of the time", function()
  local covered, n = 0, 0
  for seed = 11, 12 do
    local ds = synth.paper_like({ seed = seed, scale = 0.12, anchors = 2, target_factor = 5 })
    local rep = predict.run(ds, {})
    for _, s in ipairs(rep.sets) do
      n = n + 1
      if s.actual >= s.interval[1] and s.actual <= s.interval[2] then covered = covered + 1 end
    end
  end
  T.eq(n, 16)
  T.truthy(covered >= 12, ("covered %d of %d"):format(covered, n))
end)

T.test("candidate lists: loss and single-answer candidates join the defaults, not a user's own list", function()
  local recommend = require("cod.recommend")
  T.eq(recommend.candidates({ losses = false }), { "cod", "e2e_exp", "bnsl" })
  T.eq(recommend.candidates({ losses = true, single_answer = true }),
    { "cod", "e2e_exp", "bnsl", "loss_intermediate", "e2e_passrate" })
  T.eq(recommend.candidates({ losses = false, single_answer = true }), { "cod", "e2e_exp", "bnsl", "e2e_passrate" })
  -- A user's list is theirs; "default" expands to the set's defaults.
  T.eq(recommend.candidates({ losses = true, single_answer = true, names = { "e2e_exp", "bnsl" } }), { "e2e_exp", "bnsl" })
  T.eq(recommend.candidates({ losses = false, single_answer = true, names = { "bnsl", "default" } }),
    { "bnsl", "cod", "e2e_exp", "e2e_passrate" })
end)

T.test("a 0/1 target's own sampling noise: sqrt(p(1-p)/N), added in quadrature when switched on", function()
  local recommend = require("cod.recommend")
  local saved = recommend.single_answer_target_noise
  recommend.single_answer_target_noise = true
  T.near(recommend.target_sd(0.3, 1600, true), math.sqrt(0.21 / 1600), 1e-15)
  T.eq(recommend.target_sd(0.3, 1600, false), 0)   -- repeated samples per item: not added
  T.eq(recommend.target_sd(0.3, nil, true), 0)
  local plain, model_half = recommend.interval(0.3, 1, 1)
  local wide = recommend.interval(0.3, 1, 1, nil, 0.01)
  local half = math.sqrt(model_half ^ 2 + (recommend.z90 * 0.01) ^ 2)
  T.near(wide[1], 0.3 - half, 1e-15)
  T.near(wide[2], 0.3 + half, 1e-15)
  T.truthy(wide[2] - wide[1] > plain[2] - plain[1], "wider")
  recommend.single_answer_target_noise = false
  T.eq(recommend.target_sd(0.3, 1600, true), 0)    -- the default (docs/recommend.md, fifth round)
  recommend.single_answer_target_noise = saved
end)

T.test("recommendation bias correction: each candidate's consistent trend is removed, scatter is not", function()
  local recommend = require("cod.recommend")
  -- Errors of +2 points per unit ln-compute at every cut, tiny scatter: b ~ 2, almost unshrunk.
  local trend = {}
  for set = 1, 4 do
    for k = 1, 3 do
      trend[#trend + 1] = { cut = k, distance = k, error = 2 * k + (set % 2 == 0 and 0.01 or -0.01) }
    end
  end
  local b, raw = recommend.bias(trend)
  T.near(raw, 2, 0.01)
  T.truthy(b > 1.99 and b <= raw, "significant trend kept: " .. b)
  -- Same magnitude, alternating sign: no trend worth correcting.
  local scatter = {}
  for set = 1, 4 do
    for k = 1, 3 do
      scatter[#scatter + 1] = { cut = k, distance = k, error = (set % 2 == 0 and 1 or -1) * 2 * k }
    end
  end
  T.near(recommend.bias(scatter), 0, 1e-9)
  -- Distances below the floor count as the floor (checkpoint noise is not divided by ~0).
  local near_ones = { { cut = 1, distance = 0.01, error = 1 }, { cut = 2, distance = 0.02, error = 1 } }
  local _, near_raw = recommend.bias(near_ones)
  T.near(near_raw, 1 / recommend.distance_floor, 1e-9)
  -- Per candidate: a trending candidate is corrected (prediction at the target's distance, its
  -- backtests at theirs), a scattering one is not; nothing below the distance floor.
  T.near(recommend.correction(2, 3), recommend.bias_shrink * 6, 1e-12)
  T.eq(recommend.correction(2, 0.9 * recommend.distance_floor), 0)
  T.eq(recommend.correction(2, nil), 0)
  local tasks = { { cut = 1, id = 1 }, { cut = 2, id = 2 }, { cut = 3, id = 3 } }
  local function set_of(errs, pred)
    local bt = { errors = {}, failures = {} }
    for i, e in ipairs(errs) do bt.errors[i] = { cut = e.cut, task = e.cut, distance = e.distance, error = e.error } end
    return recommend.score(bt, 3), pred
  end
  local prepared = {}
  for set = 1, 4 do
    local p = { order = { "trendy", "noisy" }, tasks = tasks, backtest = {}, predictions = {} }
    local lo, hi = (set - 1) * 3 + 1, set * 3
    p.backtest.trendy, p.predictions.trendy = set_of({ table.unpack(trend, lo, hi) }, 0.5)
    p.backtest.noisy, p.predictions.noisy = set_of({ table.unpack(scatter, lo, hi) }, 0.01)
    prepared[set] = p
  end
  local biases = recommend.candidate_biases(prepared)
  T.near(biases.trendy, b, 1e-12)
  T.near(biases.noisy, 0, 1e-9)
  local c = recommend.corrected(prepared[1], biases, 3)
  T.near(c.predictions.trendy, 0.5 - recommend.bias_shrink * b * 3 / 100, 1e-12)
  T.near(c.corrections.trendy, recommend.bias_shrink * b * 3, 1e-9)
  T.near(c.backtest.trendy.errors[2].error, trend[2].error - recommend.bias_shrink * b * 2, 1e-12)
  T.truthy(c.backtest.trendy.rate < 0.1 * prepared[1].backtest.trendy.rate, "the corrected backtests are near 0")
  T.near(c.predictions.noisy, 0.01, 1e-9)
  -- Clamped to [0, 1]: a correction can not push a prediction below 0.
  local big = recommend.corrected(prepared[1], { trendy = 50, noisy = 0 }, 3)
  T.eq(big.predictions.trendy, 0)
  T.near(big.corrections.trendy, 50, 1e-9)
  -- Below the floor the prediction is left as it is.
  T.eq(recommend.corrected(prepared[1], biases, 0.2).predictions.trendy, 0.5)
  -- Single-answer (0/1) sets: their errors stay out of the trend and they are not corrected.
  local loud = { order = { "trendy", "noisy" }, tasks = tasks, backtest = {}, predictions = {}, single_answer = true }
  loud.backtest.trendy, loud.predictions.trendy = set_of({ { cut = 1, distance = 1, error = -40 },
    { cut = 2, distance = 2, error = -80 }, { cut = 3, distance = 3, error = -120 } }, 0.5)
  loud.backtest.noisy, loud.predictions.noisy = set_of({ table.unpack(scatter, 1, 3) }, 0.01)
  prepared[5] = loud
  local with_single = recommend.candidate_biases(prepared)
  T.near(with_single.trendy, b, 1e-12)
  local cs = recommend.corrected(loud, with_single, 3)
  T.eq(cs.predictions.trendy, 0.5)
  T.eq(cs.corrections.trendy, 0)
  T.eq(cs.backtest.trendy.errors[3].error, -120)
  T.eq(cs.single_answer, true)
  recommend.correct_single_answer = true
  local on = recommend.candidate_biases(prepared)
  recommend.correct_single_answer = false
  T.truthy(on.trendy < b, "with 0/1 correction on, the 0/1 set's errors pull the trend: " .. on.trendy)
end)

T.done()
