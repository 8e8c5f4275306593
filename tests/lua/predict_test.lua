-- The prediction pipeline end to end: recipes on synthetic ladders with known truth,
-- the predict and backtest commands, report.json's schema, plots, bootstrap, errors.
local T = require("testlib")
local synth = require("cod.synth")
local data = require("cod.data")
local predict = require("cod.predict")
local recipes = require("cod.recipes")
local json = require("cod.json")
local sys = require("cod.core.sys")
local q = T.shell_quote
local bin = q(T.codlua)

local tmp = os.tmpname()
os.remove(tmp)
assert(sys.mkdir(tmp))

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- A small paper-like dataset on disk (two anchors, target at 5x the ladder's top).
local small_dir = tmp .. "/small"
assert(sys.mkdir(small_dir))
local small = synth.paper_like({ seed = 4, scale = 0.12, anchors = 2, target_factor = 5 })
data.write(small, small_dir)
local target = small:select().target

T.test("cod on a paper-like synthetic ladder: mean FE <= 2 points, no set above 5", function()
  -- 8 sets, 100 samples per item, target at 5x the largest ladder model's compute.
  local ds = synth.paper_like({ seed = 2, anchors = 2, target_factor = 5 })
  local rep = predict.run(ds, { recipe = "cod", candidates = {}, backtest = false })
  T.eq(#rep.sets, 8)
  for _, s in ipairs(rep.sets) do
    T.truthy(s.fe and s.fe == s.fe, s.name .. " has an FE")
    T.truthy(s.fe <= 5, ("%s: FE %.2f above 5"):format(s.name, s.fe))
    T.truthy(s.predictable_ratio > 0.3, s.name .. " predictable ratio")
    T.eq(s.fallback, nil, s.name .. " needed no fallback")
  end
  T.truthy(rep.summary.fe.mean <= 2, ("mean FE %.2f above 2"):format(rep.summary.fe.mean))
  T.eq(rep.summary.fe.n, 8)
end)

T.test("every built-in recipe predicts every set of a small synthetic ladder", function()
  local sel = small:select()
  for _, name in ipairs(recipes.builtin) do
    local r = recipes.get(name)
    T.eq(r.name, name)
    for _, set in ipairs(small:sets()) do
      local job = predict.job(small, set, sel, { transfer_ladder = sel.ladder })
      local res = r:run(job)
      T.truthy(res.prediction and res.prediction >= 0 and res.prediction <= 1,
        ("%s on %s: prediction %s (%s)"):format(name, set, tostring(res.prediction), tostring(res.reason)))
      T.truthy(res.fe ~= nil and res.fe < 60, name .. " has a finite FE on " .. set)
      if res.recipe ~= name then T.eq(res.recipe, name) end
    end
  end
end)

T.test("cod_no_mapping predicts over all items: EE = FE", function()
  local sel = small:select()
  local job = predict.job(small, small:sets()[1], sel)
  local r = recipes.get("cod_no_mapping"):run(job)
  T.eq(r.predictable_ratio, 1)
  T.near(r.ee, r.fe, 1e-9)
end)

T.test("recipes derive in a line and stage options are checked", function()
  local cod = recipes.get("cod")
  local f2 = cod:with({ fit = { form = "f2" } }):rename("mine")
  T.eq(f2.name, "mine")
  T.eq(cod.steps[3].opts.form, "cod")
  local job = predict.job(small, small:sets()[2], small:select())
  local r = f2:run(job)
  T.eq(r.form, "f2")
  T.raises(function() cod:with({ fitt = {} }) end,
    "recipe 'cod' has no stage 'fitt' (did you mean 'fit'?) (stages: features, cluster, fit, filter, extrapolate, map)")
  T.raises(function() cod:with({ fit = { frm = "f1" } }):run(job) end,
    "bad option 'frm' to stage 'fit' (valid options: fixed, form, local_starts, starts, threads, weights) (did you mean 'form'?)")
  local seen = {}
  local wrapped = cod:wrap("fit", function(inner, j, st, o)
    seen.before = true
    inner(j, st, o)
    seen.clusters = #st.clusters
  end)
  wrapped:run(job)
  T.truthy(seen.before and seen.clusters > 0)
end)

T.test("no extrapolatable cluster: the fallback is named in the result and warned about", function()
  local never = recipes.get("cod"):with({ filter = { rule = function() return false, "never" end } })
  local sel = small:select()
  local job = predict.job(small, small:sets()[1], sel)
  local r = never:run(job)
  T.eq(r.fallback.recipe, "e2e_exp")
  T.eq(r.fallback.reason, "no extrapolatable cluster")
  T.truthy(r.prediction ~= nil)
  local no_fb = never:with({ fallback = false }):run(job)
  T.eq(no_fb.ok, false)
  T.eq(no_fb.reason, "no extrapolatable cluster")
  T.eq(no_fb.prediction, nil)
  local w = predict.warnings(r, job, predict.base(small, small:sets()[1], sel))
  local found = false
  for _, s in ipairs(w) do found = found or s:find("fallback recipe 'e2e_exp'", 1, true) ~= nil end
  T.truthy(found, "a warning names the fallback")
end)

T.test("codlua predict writes report.json with the documented keys, CSV tables and plots", function()
  local out = tmp .. "/report"
  local code, stdout, stderr = T.run(bin .. " predict --data " .. q(small_dir) .. " --target " .. q(target) ..
    " --bootstrap 8 --seed 5 --out " .. q(out))
  T.eq(code, 0, stderr)
  T.truthy(stdout:find("Mean", 1, true) and stdout:find("Max", 1, true), "Mean/Max rows printed")
  local rep = json.decode(read(out .. "/report.json"))
  T.eq(rep.recipe, "auto")
  T.eq(rep.target, target)
  T.eq(#rep.sets, 8)
  for _, s in ipairs(rep.sets) do
    for _, key in ipairs({ "name", "recipe", "prediction", "interval", "candidates", "recommendation", "warnings",
      "actual", "fe" }) do
      T.truthy(s[key] ~= nil, ("set %s lacks key %s"):format(s.name, key))
    end
    T.eq(s.recipe, "auto")
    local names, total = {}, 0
    for _, c in ipairs(s.candidates) do
      names[#names + 1] = c.recipe
      total = total + c.weight
      T.eq(type(c.backtest.errors), "table")
    end
    T.eq(table.concat(names, ","), "cod,e2e_exp,bnsl,loss_intermediate")
    T.near(total, 1, 1e-9)
    T.eq(#s.interval, 2)
    T.truthy(s.interval[1] <= s.prediction and s.prediction <= s.interval[2], "interval holds the prediction")
    T.near(s.fe, math.abs(s.prediction - s.actual) * 100, 1e-9)
  end
  T.truthy(read(out .. "/report.md"):find("## How much to trust this", 1, true), "trust paragraph")
  T.truthy(read(out .. "/sets.csv"):find("^set,recipe,prediction"), "sets.csv header")
  T.truthy(read(out .. "/clusters.csv"):find("^set,label,size"), "clusters.csv header")
  T.truthy(read(out .. "/report.md"):find("# codlua prediction report", 1, true))
  T.truthy(sys.exists(out .. "/plots/predicted_vs_actual.dat"), "plot data written")
  if require("cod.plot").available() then
    for _, f in ipairs({ "predicted_vs_actual.png", "predicted_vs_actual.svg" }) do
      T.truthy(sys.exists(out .. "/plots/" .. f), f .. " rendered")
    end
    local set1 = rep.sets[1].name
    T.truthy(sys.exists(out .. "/plots/" .. set1 .. "_clusters.png"), "cluster curves rendered")
    T.truthy(sys.exists(out .. "/plots/" .. set1 .. "_mapping.svg"), "mapping curve rendered")
  end
  T.eq(sys.exists(out .. ".tmp-" .. sys.getpid()), false)
end)

T.test("transfer: labels saved in a report reproduce the clustering they came from", function()
  local out = tmp .. "/labels_report"
  local base = bin .. " predict --data " .. q(small_dir) .. " --target " .. q(target) ..
    " --recipe cod --candidates e2e_exp --sets gsm8k_like,bbh_like --json"
  local code, stdout, stderr = T.run(base .. " --out " .. q(out))
  T.eq(code, 0, stderr)
  local cod = json.decode(stdout)
  T.truthy(read(out .. "/labels.csv"):find("^set,item_id,label\ngsm8k_like,"), "labels.csv written")
  code, stdout, stderr = T.run(base .. " --recipe transfer --labels " .. q(out .. "/labels.csv"))
  T.eq(code, 0, stderr)
  local tr = json.decode(stdout)
  for i = 1, 2 do T.eq(tr.sets[i].prediction, cod.sets[i].prediction) end
  code, _, stderr = T.run(base .. " --recipe transfer")
  T.eq(code, 1)
  T.truthy(stderr:find("recipe 'transfer' needs source labels", 1, true), stderr)
  local bad = tmp .. "/bad_labels.csv"
  local f = assert(io.open(bad, "w"))
  f:write("set,item_id,label\ngsm8k_like,item-1,x\n")
  f:close()
  code, _, stderr = T.run(base .. " --recipe transfer --labels " .. q(bad))
  T.eq(code, 1)
  T.truthy(stderr:find("bad_labels.csv:2: column 'label': expected a cluster id 1, 2, ... or -1, got 'x'", 1, true),
    stderr)
  T.truthy(not stderr:find("stack traceback", 1, true), "a bad labels file is a user's mistake: no traceback")
end)

T.test("read_labels: item ids with quoted commas and line breaks (the engine's CSV reader)", function()
  local path = tmp .. "/labels.csv"
  local f = assert(io.open(path, "wb"))
  f:write('set,item_id,label\r\ns1,"two\nlines",2\ns1,"a,b",-1\ns2,plain,1\n')
  f:close()
  local labels = require("cod.report").read_labels(path)
  T.eq(labels, { s1 = { ["two\nlines"] = 2, ["a,b"] = -1 }, s2 = { plain = 1 } })
  f = assert(io.open(path, "wb"))
  f:write('set,item_id,label\ns1,"two\nlines",2\ns1,x,0\n')
  f:close()
  local err = T.raises(function() require("cod.report").read_labels(path) end)
  T.truthy(err:find("labels.csv:4: column 'label'", 1, true), err)
  f = assert(io.open(path, "wb"))
  f:write('set,item,label\ns1,x,1\n')
  f:close()
  T.raises(function() require("cod.report").read_labels(path) end, "%.csv:1: expected the header set,item_id,label")
end)

T.test("bootstrap intervals are deterministic for a seed", function()
  local ds = small
  local a = predict.run(ds, { sets = { "gsm8k_like" }, bootstrap = 6, seed = 9, recipe = "cod" })
  local b = predict.run(ds, { sets = { "gsm8k_like" }, bootstrap = 6, seed = 9, recipe = "cod" })
  local c = predict.run(ds, { sets = { "gsm8k_like" }, bootstrap = 6, seed = 10, recipe = "cod" })
  T.eq(a.sets[1].interval, b.sets[1].interval)
  T.eq(a.sets[1].bootstrap.interval, b.sets[1].bootstrap.interval)
  T.truthy(a.sets[1].bootstrap.interval[1] ~= c.sets[1].bootstrap.interval[1] or
    a.sets[1].bootstrap.interval[2] ~= c.sets[1].bootstrap.interval[2],
    "another seed gives another interval")
  T.eq(a.sets[1].bootstrap.binomial, true)
  T.eq(predict.percentile({ 1, 2, 3, 4 }, 0.5), 2.5)
  T.eq(predict.percentile({ 1, 2, 3, 4 }, 0), 1)
  T.eq(predict.percentile({ 1, 2, 3, 4 }, 1), 4)
end)

T.test("single-answer 0/1 data (BIG-G): the recommendation leans on the baselines; --recipe cod keeps its headline", function()
  local ds = data.load(T.source .. "/data/bigbench-bigg")
  -- Both sets, as bench/recommend_real.lua runs them (weights pool the sets asked for together):
  -- issue 10 asks for 2 points; measured 1.44 / 1.91 with e2e_passrate a candidate on 0/1 sets
  -- (docs/recommend.md, fifth round; 0.98 / 1.50 without it, 2.02 with the trend correction).
  local both = predict.run(ds, { target = "BIG-G_T0_27b", progress = false })
  T.eq(#both.sets, 2)
  for _, x in ipairs(both.sets) do
    T.eq(x.single_answer, true)
    T.eq(x.recommendation.bias_correction, 0)  -- no trend correction on 0/1 sets
    T.truthy(x.fe < 2, ("%s: FE %.2f"):format(x.name, x.fe))
    local names = {}
    for _, c in ipairs(x.candidates) do names[#names + 1] = c.recipe end
    T.eq(names, { "cod", "e2e_exp", "bnsl", "e2e_passrate" })  -- 0/1 sets add e2e_passrate
    local md = table.concat(require("cod.report_candidates").candidates_markdown(x), "\n")
    T.truthy(md:find("no trend is removed on single-answer 0/1 data", 1, true), md)
    T.truthy(md:find("| bnsl |", 1, true) and not md:find("[%+%-]%d+%.%d%d |\n"), "no trend shown as removed: " .. md)
  end
  local trust = require("cod.report_candidates").trust_paragraph(both)
  T.truthy(trust:find("2 of 2 sets hold single-answer 0/1 results", 1, true) and
    trust:find("no trend is removed from the candidates", 1, true), trust)
  local rep = predict.run(ds, { target = "BIG-G_T0_27b", sets = { "bigbench-B" } })
  local s = rep.sets[1]
  T.eq(s.single_answer, true)
  T.eq(s.recipe, "auto")
  T.truthy(s.recommended ~= "cod", "a baseline carries the largest weight, not " .. tostring(s.recommended))
  T.truthy(s.recommendation.weights.cod < 0.1, ("cod's weight %.3f"):format(s.recommendation.weights.cod))
  T.truthy(s.fe < 2, ("FE %.2f"):format(s.fe))
  local asked = predict.run(ds, { target = "BIG-G_T0_27b", sets = { "bigbench-B" }, recipe = "cod" }).sets[1]
  T.eq(asked.recipe, "cod")
  T.eq(asked.prediction, asked.candidates[1].prediction)
  T.near(asked.recommendation.prediction, s.prediction, 1e-12)
  local joined = table.concat(asked.warnings, "\n")
  T.truthy(joined:find("single-answer 0/1 correctness", 1, true), "0/1 warning")
  T.truthy(joined:find("Backtest on this ladder", 1, true), "the backtest names the headline's error")
end)

T.test("codlua backtest prints Table 1 and writes backtest.json and backtest.csv", function()
  local out = tmp .. "/bt"
  local code, stdout, stderr = T.run(bin .. " backtest --data " .. q(T.source .. "/data/pythia-arith") ..
    " --top 1 --recipes cod,e2e_exp,e2e_passrate --sets arith_addition_0shot,arith_addition_2shot --out " .. q(out))
  T.eq(code, 0, stderr)
  T.truthy(stdout:find("target pythia-v0-12b-deduped", 1, true), stdout)
  T.truthy(stdout:find("Mean", 1, true))
  local bt = json.decode(read(out .. "/backtest.json"))
  T.eq(bt.recipes, { "cod", "e2e_exp", "e2e_passrate" })
  T.eq(#bt.targets, 1)
  T.eq(#bt.targets[1].sets, 2)
  local csv = read(out .. "/backtest.csv")
  local rows = select(2, csv:gsub("\n", "\n"))
  T.eq(rows, 1 + 2 * 3)
end)

T.test("backtest on sets that cover different models (pythia-monkeys) uses each set's own ladder", function()
  local ds = data.load(T.source .. "/data/pythia-monkeys")
  local bt = require("cod.backtest").run(ds, { top = 1, recipes = { "cod", "e2e_exp" } })
  T.eq(#bt.targets[1].sets, 3)
  for _, row in ipairs(bt.targets[1].sets) do
    T.truthy(row.results.e2e_exp.ok, row.name .. ": " .. tostring(row.results.e2e_exp.reason))
    T.truthy(row.results.cod.prediction ~= nil, row.name .. " cod predicted (directly or by its fallback)")
  end
end)

T.test("backtest of scores-only data runs the end-to-end baselines", function()
  local ds = data.load(T.source .. "/data/olmo2-ladder")
  local bt = require("cod.backtest").run(ds, { target = "olmo2-7B-4T-anneal", recipes = { "e2e_exp", "loss_intermediate", "cod" },
    sets = { "hellaswag_val_rc_5shot_len_norm" } })
  local row = bt.targets[1].sets[1]
  T.truthy(row.results.e2e_exp.ok, tostring(row.results.e2e_exp.reason))
  T.eq(row.results.cod.ok, false)
  T.eq(row.results.cod.reason, "the set has no items (scores only)")
end)

T.test("scores-only data (olmo2-ladder) is predicted by the recipes that need no items", function()
  local ds = data.load(T.source .. "/data/olmo2-ladder")
  local rep = predict.run(ds, { target = "olmo2-7B-4T-anneal", sets = { "hellaswag_val_rc_5shot_len_norm",
    "arc_easy_val_rc_5shot_len_norm" } })
  T.eq(#rep.sets, 2)
  for _, s in ipairs(rep.sets) do
    T.eq(s.recipe, "auto")
    T.truthy(s.prediction and s.prediction > 0 and s.prediction < 1, s.name)
    T.truthy(s.fe < 10, ("%s: FE %.2f"):format(s.name, s.fe))
    T.truthy(s.interval and s.interval[1] <= s.prediction and s.prediction <= s.interval[2])
    local names = {}
    for _, c in ipairs(s.candidates) do names[#names + 1] = c.recipe end
    T.eq(table.concat(names, ","), "e2e_exp,bnsl,loss_intermediate")
  end
  -- A recipe that needs items, asked for by name: no headline, the recommendation beside it.
  local asked = predict.run(ds, { target = "olmo2-7B-4T-anneal", recipe = "cod",
    sets = { "hellaswag_val_rc_5shot_len_norm" } }).sets[1]
  T.eq(asked.prediction, nil)
  T.truthy(asked.reason:find("needs items", 1, true), asked.reason)
  T.truthy(asked.recommendation.prediction ~= nil)
end)

T.test("the recommendation keeps COD as a member on paper-like data and puts a baseline first on 0/1 data", function()
  -- Paper-like (100 samples per item): COD is a member (on this generator the baselines backtest
  -- better, docs/recommend.md); the combination stays close to the truth.
  local ds = synth.paper_like({ seed = 5, scale = 0.12, anchors = 2, target_factor = 5 })
  local rep = predict.run(ds, {})
  T.eq(rep.recipe, "auto")
  for _, s in ipairs(rep.sets) do
    T.truthy(s.recommendation.weights.cod >= 0.03, ("%s: cod's weight %.3f"):format(s.name, s.recommendation.weights.cod))
  end
  T.truthy(rep.summary.fe.mean <= 1.5, ("mean FE %.2f"):format(rep.summary.fe.mean))
  -- The same ladder with single 0/1 answers: a baseline carries the largest weight, and the
  -- headline beats COD's own prediction by a clear margin.
  local single = synth.paper_like({ seed = 5, scale = 0.12, anchors = 2, target_factor = 5, single_answer = true })
  local srep = predict.run(single, {})
  local cod_fe, fe = 0, 0
  for _, s in ipairs(srep.sets) do
    T.truthy(s.recommended ~= "cod", s.name .. ": " .. tostring(s.recommended))
    cod_fe = cod_fe + s.candidates[1].fe
    fe = fe + s.fe
  end
  T.eq(srep.sets[1].candidates[1].recipe, "cod")
  -- e2e_passrate is a default candidate on the 0/1 sets only (docs/recommend.md, fifth round).
  local function has(s, name)
    for _, c in ipairs(s.candidates) do if c.recipe == name then return true end end
    return false
  end
  T.truthy(has(srep.sets[1], "e2e_passrate") and srep.sets[1].recommendation.weights.e2e_passrate ~= nil,
    "e2e_passrate is a member on 0/1 sets")
  T.truthy(not has(rep.sets[1], "e2e_passrate"), "not on paper-like sets")
  T.truthy(fe < 0.75 * cod_fe, ("headline FE %.1f vs cod %.1f (sum over sets)"):format(fe, cod_fe))
  -- 0/1 sets are not corrected for the candidates' trends; the paper-like ones are.
  local moved = 0
  for i, s in ipairs(srep.sets) do
    T.eq(s.single_answer, true)
    T.eq(s.recommendation.bias_correction, 0)
    moved = moved + math.abs(rep.sets[i].recommendation.bias_correction)
  end
  T.truthy(moved > 0, "the paper-like sets are corrected")
end)

T.test("with --bootstrap, the headline interval adds the rounds' interval shifted by the bias correction", function()
  -- docs/report.md: bootstrap.interval is the rounds' own interval (the combination without the
  -- correction); the headline's sampling half-widths are measured from it moved by
  -- recommendation.bias_correction.
  local recommend = require("cod.recommend")
  local rep = predict.run(small, { sets = { "gsm8k_like", "math_like" }, bootstrap = 6, seed = 3, progress = false })
  local shifted = 0
  for _, s in ipairs(rep.sets) do
    local bc = s.recommendation.bias_correction / 100
    local b = s.bootstrap.interval
    local want = recommend.interval(s.prediction, s.recommendation.rate, s.distance, { b[1] - bc, b[2] - bc })
    T.near(s.interval[1], want[1], 1e-12)
    T.near(s.interval[2], want[2], 1e-12)
    -- Without the shift the interval would differ whenever a correction was made.
    local raw = recommend.interval(s.prediction, s.recommendation.rate, s.distance, b)
    if math.abs(bc) > 1e-9 then
      shifted = shifted + 1
      T.truthy(raw[1] ~= want[1] or raw[2] ~= want[2], s.name .. ": the shift matters")
    end
  end
  T.truthy(shifted > 0, "a correction was made on some set")
end)

T.test("predict reads lm-evaluation-harness logs; a fit with too few points is a result with a reason", function()
  local lm = T.data .. "/lmeval"
  local code, stdout, stderr = T.run(bin .. " predict --lmeval " .. q(lm .. "/output") .. " --models " ..
    q(lm .. "/models.csv") .. " --metric acc --tasks arc_easy --recipe e2e_exp --json")
  T.eq(code, 0, stderr)
  local rep = json.decode(stdout)
  T.eq(rep.sets[1].name, "arc_easy")
  T.eq(rep.sets[1].ok, false)
  T.eq(rep.sets[1].reason, "end-to-end fit failed: too few points: 2 for 4 free parameters")
  T.eq(rep.sets[1].warnings[#rep.sets[1].warnings],
    "No prediction: end-to-end fit failed: too few points: 2 for 4 free parameters.")
end)

T.test("a user's recipe file registers a clustering, a form, a rule and a mapping, and runs end to end", function()
  local code, stdout, stderr = T.run(bin .. " predict --data " .. q(small_dir) .. " --target " .. q(target) ..
    " --no-backtest --sets gsm8k_like --json --recipe " .. q(T.source .. "/examples/my_recipe.lua"))
  T.eq(code, 0, stderr)
  local rep = json.decode(stdout)
  local s = rep.sets[1]
  T.eq(rep.recipe, "my_recipe")
  T.eq(s.ok, true, tostring(s.reason))
  T.eq(s.fallback, nil, "the recipe's own stages made the prediction")
  T.eq(s.clustering.method, "difficulty_bins")
  T.eq(s.clustering.facts.groups, 6, "the stage's options reached the method")
  T.eq(s.form, "logistic")
  T.eq(s.rule, "rising")
  T.eq(s.mapping.method, "polyline")
  T.truthy(s.prediction > 0 and s.prediction < 1, tostring(s.prediction))
end)

T.test("errors: unknown recipe, set, model; recipes that raise or return the wrong type", function()
  local base = bin .. " predict --data " .. q(small_dir) .. " "
  local code, _, err = T.run(base .. "--target " .. q(target) .. " --recipe nope")
  T.eq(code, 1)
  T.truthy(err:find("unknown recipe 'nope' (recipes: cod, cod_paper, cod_no_mapping", 1, true), err)
  code, _, err = T.run(base .. "--target " .. q(target) .. " --sets nope")
  T.eq(code, 1)
  T.truthy(err:find("unknown evaluation set 'nope' (sets: gsm8k_like", 1, true), err)
  code, _, err = T.run(base .. "--target nobody")
  T.eq(code, 1)
  T.truthy(err:find("unknown model 'nobody' (models: synth-1", 1, true), err)
  code, _, err = T.run(base .. "--target " .. q(target) .. " --bootstrap lots")
  T.eq(code, 2)
  T.truthy(err:find("option '--bootstrap' needs a number, got 'lots'", 1, true), err)

  local raising = tmp .. "/raising.lua"
  local f = assert(io.open(raising, "w"))
  f:write('local r = require("cod.recipes").get("cod")\n',
    'return r:replace("fit", function(job, st, opts)\n  error("my stage broke")\nend)\n')
  f:close()
  code, _, err = T.run(base .. "--target " .. q(target) .. " --recipe " .. q(raising))
  T.eq(code, 1)
  T.truthy(err:find("raising.lua:3: my stage broke", 1, true), "message with the recipe's file:line: " .. err)
  T.truthy(err:find("stack traceback", 1, true), "traceback shown")

  local wrong = tmp .. "/wrong.lua"
  f = assert(io.open(wrong, "w"))
  f:write("return 42\n")
  f:close()
  code, _, err = T.run(base .. "--target " .. q(target) .. " --recipe " .. q(wrong))
  T.eq(code, 1)
  T.truthy(err:find("must return a recipe", 1, true) and err:find("got number", 1, true), err)
  T.eq(sys.exists(tmp .. "/never"), false)
end)

T.test("a failed run leaves no partial report", function()
  local out = tmp .. "/never"
  local code = T.run(bin .. " predict --data " .. q(small_dir) .. " --target " .. q(target) ..
    " --recipe nope --out " .. q(out))
  T.eq(code, 1)
  T.eq(sys.exists(out), false)
end)

T.remove_tree(tmp)
T.done()
