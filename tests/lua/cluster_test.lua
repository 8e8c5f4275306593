-- cod.cluster: the Lua label convention (1..k, -1), golden parity through the border,
-- every method on a synthetic ladder and on BIG-bench, quality, and exact error messages.
local T = require("testlib")
local cluster = require("cod.cluster")
local json = require("cod.json")

local function golden(name)
  local f = assert(io.open(T.data .. "/golden/" .. name, "rb"))
  local g = json.decode(f:read("a"))
  f:close()
  return g
end

-- Lua labels (1..k, -1) against golden labels (0..k-1, -1), up to renumbering.
local function same_partition(ours, theirs, what)
  T.eq(#ours, #theirs, what)
  local fwd, back = {}, {}
  for i = 1, #ours do
    local a, b = ours[i], theirs[i]
    T.eq(a == -1, b == -1, what .. ": item " .. i)
    if a ~= -1 then
      T.truthy(a >= 1, what .. ": ids start at 1")
      fwd[a] = fwd[a] or b
      back[b] = back[b] or a
      T.eq(fwd[a], b, what .. ": item " .. i)
      T.eq(back[b], a, what .. ": item " .. i)
    end
  end
  return fwd
end

T.test("methods and the Lua label convention", function()
  T.eq(cluster.methods, { "improved_meanshift", "meanshift", "kmeans", "improved_kmeans", "dbscan" })
  local X = { { 1, 1 }, { 2, 1 }, { 1, 0 }, { 4, 7 }, { 3, 5 }, { 3, 6 } }
  local r = cluster.meanshift(X, { bandwidth = 2 })
  -- sklearn's docstring: labels [1,1,1,0,0,0]; ids here are 1-based in the same order.
  T.eq(r.labels, { 2, 2, 2, 1, 1, 1 })
  T.eq(r.n_clusters, 2)
  T.near(r.centres[1][1], 10 / 3, 1e-15)
  T.eq(r.centres[1][2], 6)
  T.eq(r.sizes, { 3, 3 })
  T.eq(r.method, "meanshift")
  T.eq(r.reason, nil)
  local q = cluster.quality(X, r)
  T.eq(#q.clusters, 2)
  T.eq(q.clusters[1].id, 1)
  T.eq(q.clusters[1].centre, r.centres[1])
  T.eq(q.outlier_rate, 0)
  T.near(q.iad, r.iad, 0)
end)

T.test("estimate_bandwidth and MeanShift goldens through the border", function()
  for _, name in ipairs({ "meanshift_docstring.json", "meanshift_blobs1.json", "meanshift_duplicates.json" }) do
    local g = golden(name)
    local X = g.inputs.X
    for q, want in pairs(g.estimate_bandwidth.by_quantile) do
      local got = cluster.estimate_bandwidth(X, { quantile = tonumber(q) })
      T.near(got, want, 1e-9 * math.max(want, 1e-300), name .. " Q=" .. q)
    end
    for _, run in ipairs(g.meanshift) do
      local r = cluster.meanshift(X, { bandwidth = run.bandwidth, cluster_all = run.cluster_all, drop_zero = false })
      local what = ("%s h=%g all=%s"):format(name, run.bandwidth, tostring(run.cluster_all))
      local map = same_partition(r.labels, run.labels, what)
      T.eq(r.n_clusters, run.n_clusters, what)
      for ours, theirs in pairs(map) do
        for j, v in ipairs(run.centres[theirs + 1]) do T.near(r.centres[ours][j], v, 1e-6, what) end
      end
    end
  end
end)

T.test("Improved MeanShift golden: labels, R, rounds, IAD, OR", function()
  local g = golden("improved_meanshift.json")
  for _, c in ipairs(g.cases) do
    local r = cluster.improved_meanshift(c.inputs.X)
    local want = c.outputs
    same_partition(r.labels, want.labels, c.name)
    T.near(r.bandwidth, want.R, 1e-9 * want.R, c.name)
    T.near(r.max_bandwidth, want.U, 1e-15, c.name)
    T.eq(r.bandwidth_zero, want.bandwidth_zero, c.name)
    T.eq(r.rounds, want.rounds, c.name)
    T.eq(r.n_zero, want.n_zero, c.name)
    T.eq(#r.history, #want.round_history, c.name)
    for i, h in ipairs(want.round_history) do
      T.eq(r.history[i].n_new_labelled, h.n_new_labelled, c.name)
      T.eq(r.history[i].n_meanshift_clusters, h.n_meanshift_clusters, c.name)
    end
    T.near(r.iad, want.IAD, 1e-9, c.name)
    T.near(r.outlier_rate, want.OR_percent, 1e-9, c.name)
    -- The facts: scalars only.
    local f = cluster.facts(r)
    T.eq(f.labels, nil)
    T.eq(f.rounds, want.rounds)
    T.eq(f.method, "improved_meanshift")
  end
end)

T.test("Improved-KMeans golden: close to sklearn (KMeans streams differ)", function()
  local gm, gk = golden("improved_meanshift.json"), golden("improved_kmeans.json")
  for i, c in ipairs(gk.cases) do
    local r = cluster.improved_kmeans(gm.cases[i].inputs.X)
    T.truthy(math.abs(r.k - c.outputs.chosen_k) <= 3, c.name .. " k " .. r.k)
    T.near(r.iad, c.outputs.IAD, 0.1 * c.outputs.IAD, c.name)
    T.near(r.outlier_rate, c.outputs.OR_percent, 5, c.name)
    T.eq(#r.assignments, #r.labels)
    for _, s in ipairs(r.sizes) do T.truthy(s >= 10, c.name .. ": clusters keep min_size") end
  end
end)

-- A synthetic ladder with 100-sample pass rates.
local function synthetic()
  local synth = require("cod.synth")
  local ds = synth.ladder({ seed = 3, models = 8, trials = 100,
    sets = { { name = "s", items = 600,
      mix = { emergent = 0.7, non_emergent = 0.1, ceiling = 0.1, noisy = 0.05, zero = 0.05 } } } })
  local sel = ds:select({})
  return ds:features("s", sel.ladder)
end

T.test("every method runs on a synthetic ladder; results are deterministic", function()
  local X = synthetic()
  local zero = require("cod.data").zero_items(X)
  for _, m in ipairs(cluster.methods) do
    local r = cluster[m](X)
    T.eq(r.method, m)
    T.eq(#r.labels, X:rows(), m)
    T.eq(r.n_zero, #zero, m)
    T.eq(r.zero, zero, m)
    for _, i in ipairs(r.zero) do T.eq(r.labels[i], -1, m .. ": zero items are not clustered") end
    T.truthy(r.n_clusters >= 1, m .. " found clusters")
    local counts = {}
    for _, l in ipairs(r.labels) do
      T.truthy(l == -1 or (l >= 1 and l <= r.n_clusters and math.type(l) == "integer"), m .. ": label " .. tostring(l))
      if l ~= -1 then counts[l] = (counts[l] or 0) + 1 end
    end
    for k = 1, r.n_clusters do T.eq(counts[k] or 0, r.sizes[k], m .. " size " .. k) end
    local q = cluster.quality(X, r.labels)
    T.near(r.iad, q.iad, 0, m)
    T.near(r.outlier_rate, cluster.outlier_rate(r.labels), 0, m)
    T.eq(cluster[m](X, { threads = 1, collapse = false }).labels, r.labels, m .. ": threads and collapse change nothing")
  end
end)

T.test("every method runs on BIG-bench (0/1 items: IAD near 0, as SPEC §11 warns)", function()
  local data = require("cod.data")
  local ds = data.load(T.source .. "/data/bigbench-bigg")
  local sel = ds:select({ target = "BIG-G_T0_128b" })
  local X = ds:features("bigbench-A", sel.ladder)
  for _, m in ipairs(cluster.methods) do
    local r = cluster[m](X)
    T.eq(#r.labels, X:rows(), m)
    T.truthy(r.outlier_rate >= 0 and r.outlier_rate <= 100, m)
    T.truthy(r.iad == r.iad or r.n_clusters == 0, m .. ": IAD is a number when something is clustered")
  end
  local r = cluster.improved_meanshift(X)
  T.near(r.iad, 0, 1e-12, "0/1 features collapse into identical patterns")
end)

T.test("quality: per-cluster summary with pass rates", function()
  local X = { { 0, 0 }, { 2, 0 }, { 10, 10 }, { 10, 12 }, { 5, 5 } }
  local q = cluster.quality(X, { 1, 1, 2, 2, -1 },
    { centres = { { 1, 0 }, { 10, 11 } }, pass_rates = { { 0.1 }, { 0.3 }, { 0.5 }, { 0.7 }, { 0.9 } } })
  T.eq(q.iad, 1)
  T.eq(q.outlier_rate, 20)
  T.eq(q.n_clustered, 4)
  T.eq(q.clusters[2].size, 2)
  T.eq(q.clusters[2].member_mean, { 10, 11 })
  T.eq(q.clusters[2].centre, { 10, 11 })
  T.near(q.clusters[1].pass_rate[1], 0.2, 1e-15)
  local none = cluster.quality(X, { -1, -1, -1, -1, -1 })
  T.truthy(none.iad ~= none.iad, "IAD is NaN with nothing clustered")
  T.eq(none.outlier_rate, 100)
  T.eq(cluster.iad(X, { 1, 1, 2, 2, -1 }), 1)
end)

T.test("bad input: exact messages", function()
  T.raises(function() cluster.improved_meanshift({}) end, "cluster.improved_meanshift: X has no rows")
  T.raises(function() cluster.meanshift({ { 0.1, 0.2 }, { 0.3 } }) end,
    "bad argument #1 to 'meanshift' (row 2 has 1 values, expected 2 like row 1)")
  T.raises(function() cluster.kmeans({ { 0.1, 0.2 }, { 0.3, 0 / 0 } }, { k = 1 }) end,
    "cluster.kmeans: X has a non-finite value (NaN) at row 2, column 2")
  T.raises(function() cluster.kmeans({ { 0.1 }, { 0.2 }, { 0.3 } }, { k = 4 }) end,
    "cluster.kmeans: k = 4 exceeds the number of rows (3)")
  T.raises(function() cluster.kmeans({ { 0.1 }, { 0.1 }, { 0.3 } }, { k = 3 }) end,
    "cluster.kmeans: k = 3 exceeds the number of distinct rows (2 of 3)")
  T.raises(function() cluster.kmeans({ { 0.1 } }, { k = 0 }) end,
    "bad option 'k' to 'kmeans' (must be an integer >= 1, got 0)")
  T.raises(function() cluster.meanshift({ { 0.1 } }, { bandwidth = 0 }) end,
    "cluster.meanshift: bandwidth must be a finite number > 0, got 0")
  T.raises(function() cluster.meanshift({ { 0.1 } }, { bandwidth = -0.5 }) end,
    "cluster.meanshift: bandwidth must be a finite number > 0, got -0.5")
  T.raises(function() cluster.dbscan({ { 0.1 } }, { eps = 0 }) end,
    "cluster.dbscan: eps must be a finite number > 0, got 0")
  T.raises(function() cluster.estimate_bandwidth({ { 0.1 } }, { quantile = 2 }) end,
    "cluster.estimate_bandwidth: quantile must be in [0, 1], got 2")
  T.raises(function() cluster.improved_meanshift({ { 0.1 } }, { min_sise = 3 }) end,
    "bad option 'min_sise' to 'improved_meanshift' (valid options: quantile, min_size, max_bandwidth, " ..
    "bandwidth, max_rounds, max_iter, bin_seeding, drop_zero, threads, collapse)")
  T.raises(function() cluster.improved_meanshift({ { 0.1 } }, { min_size = "ten" }) end,
    "bad option 'min_size' to 'improved_meanshift' (integer expected, got string)")
  T.raises(function() cluster.quality({ { 1 }, { 2 } }, { 1, 0 }) end,
    "bad argument #2 to 'quality' (label of item 2 must be a cluster id 1, 2, ... or -1 (none))")
  T.raises(function() cluster.quality({ { 1 }, { 2 } }, { 1 }) end,
    "cluster.quality: labels has 1 entries but X has 2 rows")
  T.raises(function() cluster.facts(3) end, "bad argument #1 to 'facts' (clustering result expected, got number)")
end)

T.test("degenerate input: results with a reason", function()
  local few = {}
  for i = 1, 7 do few[i] = { 0.1 * i, 0.05 * i } end
  local r = cluster.improved_meanshift(few)
  T.eq(r.n_clusters, 0)
  T.eq(r.reason, "only 7 non-zero rows, fewer than min_size = 10: no cluster can form")
  T.eq(r.outlier_rate, 100)
  T.eq(cluster.improved_kmeans(few).reason, "only 7 non-zero rows, fewer than min_size = 10: no cluster can form")
  T.eq(cluster.kmeans(few).reason, "only 7 non-zero rows, fewer than min_size = 10: no cluster can form")

  local same = {}
  for i = 1, 20 do same[i] = { 0.3, 0.6, 0.9 } end
  local s = cluster.improved_meanshift(same)
  T.eq(s.bandwidth_estimate, 0)
  T.eq(s.bandwidth_zero, true)
  T.eq(s.bandwidth, s.max_bandwidth)
  T.eq(s.sizes, { 20 })
  T.eq(s.iad, 0)
  local m = cluster.meanshift(same)
  T.eq(m.n_clusters, 0)
  T.eq(m.reason, "estimate_bandwidth(quantile = 0.3) is 0 over 20 rows (1 distinct): " ..
    "each row's k-th nearest neighbour (the row itself counted first) is the row or a copy of it; give a bandwidth")

  local zeros = {}
  for i = 1, 12 do zeros[i] = { 0, 0 } end
  for _, name in ipairs(cluster.methods) do
    local z = cluster[name](zeros)
    T.eq(z.reason, "all 12 rows are zero-performance (every feature is 0)", name)
    T.eq(z.n_zero, 12, name)
    T.eq(z.outlier_rate, 100, name)
  end
end)

T.test("scripts/cluster_quality.lua prints the Table 3 quality columns for a CSV of features", function()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write("m1,m2,m3\n")
  for i = 0, 59 do
    local b = (i % 3) * 0.3
    f:write(("%g,%g,%g\n"):format(b + 0.01 * (i % 5), b + 0.05, math.min(1, b + 0.2 + 0.01 * (i % 7))))
  end
  f:write("0,0,0\n")
  f:close()
  local code, out, err = T.run(T.shell_quote(T.codlua) .. " " .. T.shell_quote(T.source .. "/scripts/cluster_quality.lua")
    .. " --csv " .. T.shell_quote(path))
  os.remove(path)
  T.eq(code, 0, err)
  T.truthy(out:find("61 items, 1 zero%-performance"), out)
  for _, label in ipairs({ "Improved MeanShift", "MeanShift", "KMeans", "Improved%-KMeans", "DBSCAN" }) do
    T.truthy(out:find("\n  " .. label .. " +%d+ +[%d.na]+ +[%d.]+"), label .. " row in:\n" .. out)
  end
end)

T.done()
