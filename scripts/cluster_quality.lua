--- The quality columns of the paper's Table 3 (clustering ablation): for each evaluation
--- set, every clustering method's IAD (intra-cluster average distance) and OR (outlier
--- rate, %), with its clusters and time. Zero-performance items are dropped before
--- clustering and count as outliers (SPEC §2, §3.7).
---
---   codlua scripts/cluster_quality.lua                               -- BIG-bench (bundled)
---   codlua scripts/cluster_quality.lua --data data/pythia-arith --sets arith_addition_0shot
---   codlua scripts/cluster_quality.lua --synthetic                   -- paper-like 100-sample pass rates
---   codlua scripts/cluster_quality.lua --csv features.csv            -- a CSV of feature rows
---
--- Methods and their settings follow SPEC §3: Improved MeanShift (Q = 0.1, K = 10,
--- U = sqrt(d)/10), MeanShift (bandwidth estimate_bandwidth(X, 0.3), uncapped,
--- cluster_all = false), KMeans with the Improved-KMeans k, Improved-KMeans, DBSCAN
--- (eps = R, min_samples = K).

local args = require("cod.args")
local cluster = require("cod.cluster")
local data = require("cod.data")
local clock = require("cod.core.sys").clock  -- wall clock (steady), seconds

local spec = {
  usage = "codlua scripts/cluster_quality.lua [--data DIR | --synthetic | --csv FILE] [options]",
  { "data", "DIR", "dataset folder (models.csv, items.csv)", default = "data/bigbench-bigg" },
  { "synthetic", nil, "a paper-like synthetic dataset (cod.synth.paper_like, 100 trials)" },
  { "csv", "FILE", "a CSV of feature rows (items x ladder models; a header line is skipped)" },
  { "sets", "S1,...", "evaluation sets (default: all)", list = true },
  { "target", "MODEL", "target model: the ladder is every non-anchor model below it" },
  { "ladder", "M1,...", "ladder models (default: from the target)", list = true },
  { "smooth", "R", "average each ladder checkpoint with R neighbours (paper A.2)", number = true, integer = true },
  { "methods", "M1,...", "methods (default: all)", list = true },
  { "seed", "N", "seed of the synthetic data and of KMeans", number = true, integer = true, default = 1 },
  { "threads", "N", "worker threads (0 = all cores)", number = true, integer = true, default = 0 },
}

local o = args.parse_script(spec, arg, "cluster_quality")

-- Per-method options: the paper's settings plus the run's threads and seed.
local function options(method)
  local t = { threads = o.threads }
  if method == "kmeans" or method == "improved_kmeans" then t.seed = o.seed end
  return t
end

-- A CSV of numbers, one item per line; a first line that is not numeric is a header.
local function read_csv(path)
  local f, err = io.open(path, "r")
  if not f then
    io.stderr:write("cluster_quality: ", err, "\n")
    os.exit(1)
  end
  local rows, n = {}, 0
  for line in f:lines() do
    n = n + 1
    if line:match("%S") then
      local row, ok = {}, true
      for field in (line .. ","):gmatch("([^,]*),") do
        local v = tonumber(field)
        if v == nil then ok = false break end
        row[#row + 1] = v
      end
      if ok then
        rows[#rows + 1] = row
      elseif n > 1 or #rows > 0 then
        io.stderr:write(("cluster_quality: %s:%d: not a row of numbers: %s\n"):format(path, n, line))
        os.exit(1)
      end
    end
  end
  f:close()
  return rows
end

-- The feature matrices to cluster: {name, X}.
local function inputs()
  if o.csv then return { { name = o.csv, X = read_csv(o.csv) } } end
  local ds
  if o.synthetic then
    ds = require("cod.synth").paper_like({ seed = o.seed })
  else
    ds = data.load(o.data)
  end
  local ok, sel = pcall(ds.select, ds, { target = o.target, ladder = o.ladder })
  if not ok then
    io.stderr:write("cluster_quality: ", tostring(sel), "\n")
    os.exit(2)
  end
  local known = {}
  for _, set in ipairs(ds:sets()) do known[set] = true end
  for _, set in ipairs(o.sets or {}) do
    if not known[set] then
      io.stderr:write(("cluster_quality: unknown evaluation set '%s' (sets: %s)\n"):format(set,
        table.concat(ds:sets(), ", ")))
      os.exit(2)
    end
  end
  local out = {}
  for _, set in ipairs(o.sets or ds:sets()) do
    out[#out + 1] = { name = set, X = ds:features(set, sel.ladder, o.smooth and { smooth = o.smooth } or nil),
                      ladder = #sel.ladder }
  end
  return out
end

local methods = o.methods or cluster.methods
local labels = {
  improved_meanshift = "Improved MeanShift", meanshift = "MeanShift", kmeans = "KMeans",
  improved_kmeans = "Improved-KMeans", dbscan = "DBSCAN",
}

for _, input in ipairs(inputs()) do
  local X = input.X
  local n = type(X) == "table" and #X or X:rows()
  local zero = #data.zero_items(X)
  print(("%s: %d items%s, %d zero-performance"):format(input.name, n,
    input.ladder and (" x " .. input.ladder .. " ladder models") or "", zero))
  print(("  %-20s %8s %8s %8s %9s %8s  %s"):format("method", "clusters", "IAD", "OR (%)", "clustered", "time (s)", "notes"))
  for _, m in ipairs(methods) do
    if type(cluster[m]) ~= "function" then
      io.stderr:write(("cluster_quality: unknown method '%s' (methods: %s)\n"):format(m, table.concat(cluster.methods, ", ")))
      os.exit(2)
    end
    local t0 = clock()
    local r = cluster[m](X, options(m))
    local dt = clock() - t0
    local notes = {}
    if r.bandwidth and m ~= "dbscan" then notes[#notes + 1] = ("h=%.4f"):format(r.bandwidth) end
    if r.bandwidth_zero then notes[#notes + 1] = "estimate 0 -> U" end
    if r.rounds then notes[#notes + 1] = ("rounds=%d"):format(r.rounds) end
    if r.k then notes[#notes + 1] = ("k=%d"):format(r.k) end
    if r.eps then notes[#notes + 1] = ("eps=%.4f"):format(r.eps) end
    if r.reason then notes[#notes + 1] = r.reason end
    local clustered = 0
    for _, l in ipairs(r.labels) do
      if l ~= -1 then clustered = clustered + 1 end
    end
    print(("  %-20s %8d %8.4f %8.2f %9d %8.2f  %s"):format(labels[m] or m, r.n_clusters, r.iad, r.outlier_rate,
      clustered, dt, table.concat(notes, ", ")))
  end
  print()
end
