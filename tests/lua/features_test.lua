-- Per-item features without 100 samples (SPEC §14): a generated lm-eval 0.4.x ladder read back
-- and predicted with --feature choice_prob, the report's feature and merged files, the
-- item-response recipes, and the user errors of --feature and the lm-eval options.
local T = require("testlib")
local synth = require("cod.synth")
local data = require("cod.data")
local predict = require("cod.predict")
local backtest = require("cod.backtest")
local report = require("cod.report")
local sys = require("cod.core.sys")
local q = T.shell_quote
local bin = q(T.codlua)

local tmp = os.tmpname()
os.remove(tmp)
assert(sys.mkdir(tmp))

-- A small generated lm-eval ladder: 8 ladder models, a target at 5x, 1500 four-choice items.
local gen_ds, gen_truth = synth.ladder({ seed = 3, items = 1500, trials = 0, target_factor = 5,
  sets = { { name = "mc" } } })
local logs = tmp .. "/logs"
local written = synth.lmeval(gen_ds, gen_truth, logs, { seed = 3 })
local lm = data.read({ models = logs .. "/models.csv", lmeval = logs .. "/samples" })

T.test("synth.lmeval: models.csv plus one samples file per model, read back with every feature", function()
  T.eq(#written, 1 + #gen_ds:models())
  T.eq(lm:feature_names("mc"), { "metric", "choice_prob", "choice_prob_norm", "answer_prob", "answer_prob_norm" })
  T.eq(#lm:sources(), #gen_ds:models())
  T.eq(lm:sources()[1].samples, 1500)
  T.raises(function() synth.lmeval(gen_ds, gen_truth, logs, { seed = 3 }) end, "^synth_lmeval: .* exists and is not an empty folder")
end)

T.test("--feature choice_prob on lm-eval logs: continuous features, no single-answer warning, accurate", function()
  local metric = predict.run(lm, { recipe = "cod", backtest = false }).sets[1]
  local rep = predict.run(lm, { recipe = "cod", feature = "choice_prob", backtest = false })
  local s = rep.sets[1]
  T.eq(rep.feature, "choice_prob")
  T.eq(s.single_answer, false)
  for _, w in ipairs(s.warnings) do T.truthy(not w:find("single%-answer"), "no single-answer warning: " .. w) end
  T.truthy(metric.single_answer, "the metric (acc) is single-answer")
  -- Measured (seed 3): choice_prob 0.52 points, the metric (acc) 10.70 points.
  T.truthy(s.fe < 2, ("choice_prob FE %.2f below 2 points"):format(s.fe))
  T.truthy(metric.fe > 5 * s.fe, ("metric FE %.2f is far worse than choice_prob's %.2f"):format(metric.fe, s.fe))
  -- The predicted quantity stays the metric: the actual is the target's mean acc.
  T.near(s.actual, lm:metric("mc", "synth-target"), 1e-12)
  -- Mapping points pair the feature subset (x) with the full-set metric (y).
  for _, p in ipairs(s.mapping.points) do T.near(p.y, lm:metric("mc", p.name), 1e-12) end
end)

T.test("backtest takes --feature; an unknown feature is a user error naming the set and the features", function()
  local bt = backtest.run(lm, { target = "synth-target", recipes = { "cod", "e2e_exp" }, feature = "choice_prob" })
  T.eq(bt.feature, "choice_prob")
  T.truthy(bt.targets[1].sets[1].results.cod.fe < 2)
  T.raises(function() predict.run(lm, { feature = "loss" }) end,
    "--feature loss: set 'mc' has no such per-item feature (it has: metric, choice_prob, choice_prob_norm, " ..
    "answer_prob, answer_prob_norm; choice_prob needs lm-eval multiple-choice logs, answer_prob lm-eval log-likelihoods)")
  local csv = data.load(T.source .. "/tests/bad/base")
  T.raises(function() backtest.run(csv, { feature = "choice_prob" }) end, "^%-%-feature choice_prob: set '[^']+' has no such")
end)

T.test("cod_irt and irt_extrapolate run on 0/1 data and report the fit", function()
  local sa = synth.ladder({ seed = 2, items = 800, trials = 1, target_factor = 5, sets = { { name = "sa" } } })
  local r = predict.run(sa, { recipe = "cod_irt", backtest = false }).sets[1]
  T.truthy(r.prediction, "cod_irt predicts")
  T.eq(r.recipe, "cod_irt")
  local st = r._state
  T.truthy(st.irt.converged, "the item-response fit converged")
  for j = 2, #st.irt.ability do T.truthy(st.irt.ability[j] > st.irt.ability[j - 1] - 0.2, "abilities rise") end
  local e = predict.run(sa, { recipe = "irt_extrapolate", backtest = false }).sets[1]
  T.truthy(e.prediction > 0 and e.prediction < 1, "irt_extrapolate predicts a probability")
  T.truthy(e._state.irt.target_ability > e._state.irt.ability[#e._state.irt.ability], "target ability above the ladder")
end)

T.test("lm-eval runs: merged files are listed in the report (json, md, console); --runs newest skips", function()
  local dir = T.source .. "/tests/data/lmeval"
  local ds = data.read({ models = dir .. "/models.csv", lmeval = dir .. "/output", metric = "exact_match",
    filter = "strict-match", tasks = { "gsm8k" } })
  local src = data.sources(ds)
  T.eq(#src.merged, 1)
  T.eq(src.merged[1].model, "EleutherAI__pythia-160m")
  T.eq(#src.merged[1].files, 2)
  local lines = report.source_lines({ sources = src })
  T.truthy(lines[1]:find("model EleutherAI__pythia%-160m, task gsm8k: 2 file%(s%) averaged"), lines[1])
  local newest = data.read({ models = dir .. "/models.csv", lmeval = dir .. "/output", metric = "exact_match",
    filter = "strict-match", tasks = { "gsm8k" }, runs = "newest" })
  local nsrc = data.sources(newest)
  T.eq(#nsrc.merged[1].files, 1)
  T.eq(#nsrc.merged[1].skipped, 1)
  T.truthy(nsrc.merged[1].skipped[1]:find("2024%-05%-01"), "the older run is skipped")
  T.raises(function() data.read({ models = dir .. "/models.csv", lmeval = dir .. "/output", runs = "latest" }) end,
    "bad option 'runs' to 'read' (expected \"average\" or \"newest\", got 'latest')")

  local _, stdout = T.run(bin .. " predict --models " .. q(dir .. "/models.csv") .. " --lmeval " ..
    q(dir .. "/output") .. " --tasks gsm8k --metric exact_match --filter strict-match --target-flops 1e22" ..
    " --ladder EleutherAI__pythia-70m,EleutherAI__pythia-160m --recipe e2e_exp --no-backtest 2>&1")
  T.truthy(stdout:find("lm%-eval: model EleutherAI__pythia%-160m, task gsm8k: 2 file%(s%) averaged"), stdout)
end)

T.test("codlua predict --feature and the lm-eval options on the command line", function()
  local base = bin .. " predict --models " .. q(logs .. "/models.csv") .. " --lmeval " .. q(logs .. "/samples") ..
    " --no-backtest"
  local code, stdout, stderr = T.run(base .. " --feature choice_prob")
  T.eq(code, 0, stderr)
  T.truthy(stdout:find("feature choice_prob"), stdout)
  code, stdout, stderr = T.run(base .. " --feature bogus")
  T.eq(code, 1, stdout)
  T.truthy(stderr:find("%-%-feature bogus: set 'mc' has no such per%-item feature"), stderr)
  T.truthy(not stderr:find("traceback"), "a user's mistake prints no traceback: " .. stderr)
  code, stdout, stderr = T.run(base .. " --match ignore_case,shout")
  T.truthy(code ~= 0 and stderr:find("%-%-match: unknown option 'shout'"), stderr)
end)

sys.remove_tree(tmp)
T.done()
