-- predict.run's backtest_items: a large set's backtests cluster a seeded subsample of its
-- items; the headline's own run and the metrics the backtests predict stay the full set's.
local T = require("testlib")
local synth = require("cod.synth")
local predict = require("cod.predict")

T.test("backtest_rows: a sorted sample without repeats, from stream 0 of the seed", function()
  T.eq(predict.backtest_rows(100, nil, 1), nil)
  T.eq(predict.backtest_rows(100, 0, 1), nil)
  T.eq(predict.backtest_rows(100, 100, 1), nil)
  local rows = predict.backtest_rows(5000, 700, 3)
  T.eq(#rows, 700)
  local seen = {}
  for i, r in ipairs(rows) do
    T.truthy(math.type(r) == "integer" and r >= 1 and r <= 5000 and not seen[r], "row " .. tostring(r))
    seen[r] = true
    if i > 1 then T.truthy(r > rows[i - 1], "sorted") end
  end
  T.eq(predict.backtest_rows(5000, 700, 3), rows, "deterministic")
  T.truthy(table.concat(predict.backtest_rows(5000, 700, 4), ",") ~= table.concat(rows, ","), "another seed")
  -- Every row can be drawn: a sample of all but one leaves out exactly one.
  local most = predict.backtest_rows(50, 49, 1)
  T.eq(#most, 49)
end)

T.test("a set larger than backtest_items is backtested on a sample; the headline run is exact", function()
  local ds = synth.paper_like({ seed = 4, scale = 0.12, anchors = 2, target_factor = 5 })
  local all = predict.run(ds, { sets = { "gsm8k_like" }, backtest_items = 0, threads = 1 })
  local n = all.sets[1].items
  local k = math.floor(n / 2)
  local half = predict.run(ds, { sets = { "gsm8k_like" }, backtest_items = k, threads = 1 })
  local s, h = all.sets[1], half.sets[1]
  T.eq(s.backtest_sample, nil)
  T.eq(h.backtest_sample, { items = k, of = n, seed = 1 })
  T.eq(half.settings.backtest_items, k)
  -- The candidates' own predictions (full set) are the same; their backtest errors are not.
  for i, c in ipairs(s.candidates) do
    T.eq(h.candidates[i].prediction, c.prediction, c.recipe)
  end
  local cod_all, cod_half
  for i, c in ipairs(s.candidates) do
    if c.recipe == "cod" then cod_all, cod_half = c, h.candidates[i] end
  end
  T.truthy(cod_all.backtest.errors[1].error ~= cod_half.backtest.errors[1].error, "cod's backtest saw the sample")
  -- An end-to-end baseline sees only the full-set metrics: its backtest is unchanged.
  for i, c in ipairs(s.candidates) do
    if c.recipe == "e2e_exp" then T.eq(h.candidates[i].backtest.errors, c.backtest.errors) end
  end
  -- The default is predict.backtest_items.
  T.eq(predict.run(ds, { sets = { "gsm8k_like" }, backtest = false }).settings.backtest_items, predict.backtest_items)
end)

T.test("backtest_bin_seeding: cod's cuts cluster with bin seeding, and the report says so", function()
  local ds = synth.paper_like({ seed = 4, scale = 0.12, anchors = 2, target_factor = 5 })
  local exact = predict.run(ds, { sets = { "gsm8k_like" }, threads = 1 })
  local binned = predict.run(ds, { sets = { "gsm8k_like" }, threads = 1, backtest_bin_seeding = true })
  T.eq(exact.settings.backtest_bin_seeding, false)
  T.eq(binned.settings.backtest_bin_seeding, true)
  local s, b = exact.sets[1], binned.sets[1]
  T.eq(s.backtests_changed, nil)
  T.eq(b.backtests_changed, { { recipe = "cod", bin_seeding = true } })
  local changed = false
  for i, c in ipairs(s.candidates) do
    local d = b.candidates[i]
    T.eq(d.prediction, c.prediction, c.recipe .. ": the full-set run is exact either way")
    if c.recipe == "cod" then
      for k, e in ipairs(c.backtest.errors) do
        if d.backtest.errors[k].error ~= e.error then changed = true end
      end
    else
      T.eq(d.backtest.errors, c.backtest.errors, c.recipe .. ": no clustering, same backtests")
    end
  end
  T.truthy(changed, "cod's backtests clustered differently")
  -- The recipes themselves: only an Improved MeanShift step that leaves bin_seeding unset changes.
  local recipes = require("cod.recipes")
  local cands = { recipes.get("cod"), recipes.get("e2e_exp"),
    recipes.get("cod"):with({ cluster = { options = { bin_seeding = false } } }) }
  T.truthy(predict.backtest_recipes(cands, false) == cands)
  local out, what = predict.backtest_recipes(cands, true)
  T.eq(out[1].steps[2].opts.options, { bin_seeding = true })
  T.eq(cands[1].steps[2].opts.options, nil, "the candidate itself is unchanged")
  T.truthy(out[2] == cands[2] and out[3] == cands[3])
  T.eq(what, { { recipe = "cod", bin_seeding = true } })
end)

T.done()
