-- cod's large-set clustering mode (cluster.large_set_plan; docs/cluster.md, "Large sets"): the
-- switch at the threshold of distinct non-zero rows, what report.json records, and the forced
-- exact path giving the labels of plain Improved MeanShift. Thresholds are set small through
-- the stage option so that the sets stay small.
local T = require("testlib")
local synth = require("cod.synth")
local predict = require("cod.predict")
local recipes = require("cod.recipes")
local cluster = require("cod.cluster")
local matrix = require("cod.core.matrix")
local report = require("cod.report")
local pipeline = require("cod.pipeline")
local json = require("cod.json")

local function one_set()
  local ds = synth.paper_like({ seed = 5, scale = 0.3, anchors = 2, target_factor = 5 })
  return ds, "bbh_like"
end

T.test("distinct_rows counts rows equal value for value once", function()
  local X = matrix.new({ { 0.1, 0.2 }, { 0.1, 0.2 }, { 0.2, 0.1 }, { 0.1, 0.2 }, { 0.0, 0.5 } })
  T.eq(cluster.distinct_rows(X), 3)
  -- -0.0 equals 0.0 (as Improved MeanShift's collapse counts it); an empty matrix has none
  T.eq(cluster.distinct_rows(matrix.new({ { 0.0, 0.5 }, { -0.0, 0.5 }, { 0.5, -0.0 } })), 2)
  T.eq(cluster.distinct_rows(matrix.zeros(0, 3)), 0)
end)

T.test("large_set_plan switches above the threshold and keeps the caller's options", function()
  local ds, set = one_set()
  local st = {}
  pipeline.stages.features(predict.job(ds, set, ds:select({}), {}), st, {})
  local X = st.X_active
  local d = cluster.distinct_rows(X)
  T.truthy(d > 100, "enough distinct rows: " .. d)
  local at = cluster.large_set_plan(X, nil, { threshold = d })
  T.eq(at.mode, "exact")
  T.eq(at.distinct_rows, d)
  T.eq(at.options, {})
  local above = cluster.large_set_plan(X, nil, { threshold = d - 1, bandwidth_rows = 100 })
  T.eq(above.mode, "large-set")
  T.eq(above.options.bin_seeding, true)
  -- R of SPEC §3.3 step 1 (paper_bandwidth) on a seeded subsample of 100 rows.
  local rows = cluster.sample_rows(X:rows(), 100, 0)
  T.eq(#rows, 100)
  local choice = cluster.paper_bandwidth(X:select_rows(rows))
  T.eq(above.bandwidth_estimate, choice.bandwidth_estimate)
  T.eq(above.options.bandwidth, choice.bandwidth)
  T.truthy(choice.bandwidth > 0 and choice.bandwidth <= math.sqrt(X:cols()) / 10)
  T.truthy(above.reason:find("above the large-set threshold", 1, true), above.reason)
  -- Fewer rows than the subsample: R is estimated by Improved MeanShift itself, on every row.
  local all_rows = cluster.large_set_plan(X, nil, { threshold = 1, bandwidth_rows = X:rows() })
  T.eq(all_rows.options.bandwidth, nil)
  T.eq(all_rows.options.bin_seeding, true)
  -- A user's fixed options win.
  local fixed = cluster.large_set_plan(X, { bin_seeding = false, bandwidth = 0.3 }, { threshold = 1, bandwidth_rows = 100 })
  T.eq(fixed.options.bin_seeding, false)
  T.eq(fixed.options.bandwidth, 0.3)
  T.eq(cluster.large_set_plan(X, nil, { threshold = 1, exact = true }).mode, "exact")
  T.eq(cluster.large_set_plan(X, nil, { threshold = 0 }).mode, "exact")
end)

T.test("cod: large-set mode above the stage's threshold, recorded in report.json; exact forced gives today's labels", function()
  local ds, set = one_set()
  local small = recipes.get("cod"):with({ cluster = { large_sets = 50 } })
  local run = function(recipe, exact)
    return predict.run(ds, { recipe = recipe, sets = { set }, backtest = false, threads = 1, exact_clustering = exact })
  end
  local large = run(small)
  local s = large.sets[1]
  T.eq(s.clustering.mode, "large-set")
  T.truthy(s.clustering.distinct_rows > 50)
  T.eq(s.clustering.large_set_threshold, 50)
  T.eq(s.clustering.facts.bin_seeding, true)
  T.eq(s.clustering.facts.large_set, true)
  -- report.json and report.md carry it.
  local doc = json.decode(json.encode(report.to_json(large)))
  T.eq(doc.sets[1].clustering.mode, "large-set")
  T.truthy(doc.sets[1].clustering.mode_reason:find("distinct non-zero rows", 1, true))
  local dir = os.tmpname()
  os.remove(dir)
  report.write(large, dir)
  local f = assert(io.open(dir .. "/report.md", "rb"))
  local md = f:read("a")
  f:close()
  os.execute("rm -rf '" .. dir .. "'")
  T.truthy(md:find("clustering mode large", 1, true), "report.md says so")

  -- Forced exact: the labels of plain Improved MeanShift on the non-zero rows (today's).
  local forced = run(small, true)
  T.eq(forced.sets[1].clustering.mode, "exact")
  T.truthy(forced.sets[1].clustering.mode_reason:find("forced", 1, true))
  T.eq(forced.settings.exact_clustering, true)
  local st = recipes.get("cod_paper"):run_stages(predict.job(ds, set, ds:select({}), {}))
  local res = cluster.improved_meanshift(st.X_active)
  local forced_state = small:run_stages(predict.job(ds, set, ds:select({}), { base = (function()
    local b = predict.base(ds, set, ds:select({}), { exact_clustering = true })
    return b
  end)() }))
  T.eq(forced_state.cluster_mode.mode, "exact")
  for k, i in ipairs(st.active) do
    T.eq(forced_state.labels[i], res.labels[k], "item " .. i)
  end
  T.eq(forced.sets[1].prediction, run(recipes.get("cod")).sets[1].prediction, "default threshold: exact here")
  -- Below the default threshold cod runs exactly; cod_paper never switches.
  T.eq(run(recipes.get("cod")).sets[1].clustering.mode, "exact")
  T.eq(recipes.get("cod_paper").steps[2].opts.large_sets, 0)
  T.eq(recipes.get("cod").steps[2].opts.large_sets, cluster.large_set_threshold)
end)

T.done()
