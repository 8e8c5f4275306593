--- cod.cluster: clustering items on difficulty (SPEC §3).
---
--- One calling convention for every method: `cluster.<method>(X, opts)` where X is a
--- cod.Matrix or a table of rows (items × features) and opts a checked option table
--- (a misspelled key is an error listing the valid ones) whose defaults are the paper's.
---
---   local cluster = require("cod.cluster")
---   local res = cluster.improved_meanshift(X)            -- Q = 0.1, K = 10, U = sqrt(d)/10
---   print(res.n_clusters, res.bandwidth, res.rounds, res.iad, res.outlier_rate)
---   for i, l in ipairs(res.labels) do ... end            -- 1..k, -1 = not in a cluster
---
--- Labels: cluster ids are 1, 2, ..., k in Lua and -1 means "not in a cluster" (zero-
--- performance items, outliers, noise). Item indices (res.zero) are 1-based.
--- Every method drops all-zero rows first (drop_zero = true, SPEC §2); they get -1 and
--- count as outliers in res.outlier_rate. See docs/cluster.md.

local core = require("cod.core.cluster")
local check = require("cod.check")

local M = {}

---@alias cod.MatrixLike cod.Matrix|number[][]

---@class cod.cluster.Exec
---@field threads? integer   worker threads (default 0 = all cores); never changes a result
---@field collapse? boolean  collapse identical rows into weighted points (default true); never changes a result

---@class cod.cluster.Result
---@field method string                 "meanshift", "improved_meanshift", "kmeans", "improved_kmeans" or "dbscan"
---@field labels integer[]              per item: cluster id 1..k, or -1
---@field centres number[][]            one row per cluster (modes for MeanShift, centroids for KMeans, member means for DBSCAN)
---@field sizes integer[]               items per cluster
---@field n_clusters integer
---@field n_items integer
---@field zero integer[]                1-based indices of the all-zero items (dropped, label -1)
---@field n_zero integer
---@field iad number                    intra-cluster average distance (NaN without clustered items)
---@field outlier_rate number           percent of items with label -1 (zero items included)
---@field reason string|nil             why there is no cluster, when there is none

--- Distance to each row's k-th nearest neighbour, the row itself counted first
--- (k = max(1, floor(n·quantile))), averaged over rows — scikit-learn's estimate_bandwidth.
---@param X cod.MatrixLike
---@param opts? {quantile?: number, n_samples?: integer, seed?: integer, threads?: integer, collapse?: boolean}
---  quantile 0.3; n_samples: a seeded subsample of rows (default all); seed 0
---@return number bandwidth
function M.estimate_bandwidth(X, opts)
  local r = core.estimate_bandwidth(X, opts) -- not a tail call: errors name 'estimate_bandwidth'
  return r
end

---@class cod.cluster.BandwidthChoice
---@field bandwidth number           R = min(estimate, max_bandwidth), or max_bandwidth when the estimate is 0
---@field bandwidth_estimate number  estimate_bandwidth(X, quantile) on the non-zero rows
---@field max_bandwidth number       U
---@field bandwidth_zero boolean     the estimate was 0 (R = U was used)

--- The paper's bandwidth R (SPEC §3.3 step 1) on the non-zero rows.
---@param X cod.MatrixLike
---@param opts? {quantile?: number, max_bandwidth?: number, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  quantile 0.1; max_bandwidth U = sqrt(d)/10; drop_zero true
---@return cod.cluster.BandwidthChoice
function M.paper_bandwidth(X, opts)
  local r = core.paper_bandwidth(X, opts) -- not a tail call: errors name 'paper_bandwidth'
  return r
end

---@class cod.cluster.MeanShiftResult: cod.cluster.Result
---@field bandwidth number              h used
---@field bandwidth_estimated boolean   h came from estimate_bandwidth(X, quantile)
---@field window_sizes integer[]        each centre's last window size (scikit-learn's ordering key)
---@field n_iter integer                max completed iterations over seeds
---@field n_seeds integer               seeds (rows, or grid cells with bin seeding)
---@field n_distinct_seeds integer      distinct seed vectors climbed
---@field n_modes integer               distinct converged means before near-duplicate removal
---@field bin_seeding boolean
---@field bin_seeding_fallback boolean  binning gave one cell per row, so every row seeded (as scikit-learn)
---@field cluster_all boolean

--- MeanShift with a flat kernel, scikit-learn 1.2 semantics (SPEC §3.2). Without a
--- bandwidth, h = estimate_bandwidth(X, quantile) uncapped (the paper's ablation, §3.3 item 5);
--- an estimate of 0 gives no cluster and a reason.
---@param X cod.MatrixLike
---@param opts? {bandwidth?: number, quantile?: number, bin_seeding?: boolean, min_bin_freq?: integer, cluster_all?: boolean, max_iter?: integer, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  quantile 0.3; bin_seeding false; min_bin_freq 1; cluster_all false; max_iter 300; drop_zero true
---@return cod.cluster.MeanShiftResult
function M.meanshift(X, opts)
  local r = core.meanshift(X, opts) -- not a tail call: errors name 'meanshift'
  return r
end

---@class cod.cluster.Round
---@field round integer
---@field n_input integer               items still unlabelled, clustered in this round
---@field n_meanshift_clusters integer  clusters MeanShift found
---@field n_new_clusters integer        clusters that kept >= min_size items
---@field n_new_labelled integer        items labelled in this round

---@class cod.cluster.ImprovedMeanShiftResult: cod.cluster.Result
---@field member_means number[][]       mean of each cluster's items (centres are the MeanShift modes)
---@field bandwidth number              R
---@field bandwidth_estimate number     estimate_bandwidth(X, quantile) (NaN when bandwidth was given)
---@field max_bandwidth number          U
---@field bandwidth_zero boolean        the estimate was 0, so R = U
---@field bandwidth_given boolean
---@field min_size integer              K
---@field rounds integer                MeanShift runs, the last (labelling nothing) included
---@field max_rounds_reached boolean    stopped by max_rounds while still labelling
---@field history cod.cluster.Round[]

--- Improved MeanShift, the paper's Algorithm 1 (SPEC §3.3) — the default of the pipeline.
---@param X cod.MatrixLike
---@param opts? {quantile?: number, min_size?: integer, max_bandwidth?: number, bandwidth?: number, max_rounds?: integer, max_iter?: integer, bin_seeding?: boolean, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  quantile 0.1 (Q); min_size 10 (K); max_bandwidth sqrt(d)/10 (U); bandwidth: fix R;
---  max_rounds 100; max_iter 300; bin_seeding false; drop_zero true
---@return cod.cluster.ImprovedMeanShiftResult
function M.improved_meanshift(X, opts)
  local r = core.improved_meanshift(X, opts) -- not a tail call: errors name 'improved_meanshift'
  return r
end

---@class cod.cluster.KMeansResult: cod.cluster.Result
---@field k integer
---@field k_from_scan boolean           k was chosen by the Improved-KMeans scan
---@field inertia number                sum of squared distances of items to their centre
---@field n_iter integer                Lloyd iterations of the best run
---@field best_init integer             1-based index of the winning initialisation
---@field n_init integer
---@field seed integer

--- KMeans: k-means++ seeding, Lloyd iterations, best of n_init by inertia; deterministic
--- for a seed (std::mt19937_64 with documented draws). Without k, the Improved-KMeans k.
---@param X cod.MatrixLike
---@param opts? {k?: integer, min_size?: integer, patience?: integer, n_init?: integer, max_iter?: integer, tol?: number, seed?: integer, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  k: the Improved-KMeans k (min_size 10, patience 10); n_init 10; max_iter 300; tol 1e-4; seed 0; drop_zero true
---@return cod.cluster.KMeansResult
function M.kmeans(X, opts)
  local r = core.kmeans(X, opts) -- not a tail call: errors name 'kmeans'
  return r
end

---@class cod.cluster.ImprovedKMeansResult: cod.cluster.Result
---@field member_means number[][]
---@field k integer                     chosen k (0 when none passed)
---@field min_size integer              K
---@field kmeans_iad number             IAD of the KMeans(k) clustering
---@field outlier_radius number         2·kmeans_iad
---@field scan {k: integer, min_size: integer}[]  the k scan: smallest cluster per k
---@field assignments integer[]|nil     the KMeans(k) labels before outlier removal (plain KMeans with this k)
---@field kmeans_centres number[][]|nil the KMeans(k) centroids

--- Improved-KMeans (paper §5.3.2, SPEC §3.5): the largest k whose clusters all keep
--- min_size items (scan k = 1, 2, ... and stop after `patience` failing k; 0 = scan all),
--- then items farther than 2·IAD from their centroid and clusters left under min_size → -1.
---@param X cod.MatrixLike
---@param opts? {min_size?: integer, patience?: integer, k?: integer, n_init?: integer, max_iter?: integer, tol?: number, seed?: integer, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  min_size 10; patience 10; k: skip the scan; n_init 10; max_iter 300; tol 1e-4; seed 0; drop_zero true
---@return cod.cluster.ImprovedKMeansResult
function M.improved_kmeans(X, opts)
  local r = core.improved_kmeans(X, opts) -- not a tail call: errors name 'improved_kmeans'
  return r
end

---@class cod.cluster.DbscanResult: cod.cluster.Result
---@field eps number
---@field eps_given boolean
---@field bandwidth number|nil          when eps was not given: R (= eps) and how it was obtained
---@field bandwidth_estimate number|nil
---@field max_bandwidth number|nil
---@field bandwidth_zero boolean|nil
---@field min_samples integer
---@field n_core integer
---@field core boolean[]                per item

--- DBSCAN, scikit-learn semantics (neighbourhood: distance <= eps, the item itself included).
--- Defaults for the comparison table (SPEC §3.6): eps = R of Improved MeanShift, min_samples = K.
---@param X cod.MatrixLike
---@param opts? {eps?: number, min_samples?: integer, quantile?: number, max_bandwidth?: number, drop_zero?: boolean, threads?: integer, collapse?: boolean}
---  eps: R (quantile 0.1, max_bandwidth sqrt(d)/10); min_samples 10; drop_zero true
---@return cod.cluster.DbscanResult
function M.dbscan(X, opts)
  local r = core.dbscan(X, opts) -- not a tail call: errors name 'dbscan'
  return r
end

---@class cod.cluster.Summary
---@field id integer
---@field size integer
---@field centre number[]|nil      the method's centre (when centres were given)
---@field member_mean number[]     mean feature vector of the members
---@field pass_rate number[]       members' mean pass rate per ladder model (opts.pass_rates, else X)

---@class cod.cluster.Quality
---@field iad number               mean distance of clustered items to their member mean (NaN when none)
---@field outlier_rate number      percent of items not in a cluster
---@field n_items integer
---@field n_clustered integer
---@field clusters cod.cluster.Summary[]  ids in increasing order

--- Cluster quality (SPEC §3.7): IAD, OR and a per-cluster summary. The second argument is
--- a label array or a clustering result (then its centres are used).
---@param X cod.MatrixLike
---@param labels integer[]|cod.cluster.Result
---@param opts? {centres?: cod.MatrixLike, pass_rates?: cod.MatrixLike}
---@return cod.cluster.Quality
function M.quality(X, labels, opts)
  local r = core.quality(X, labels, opts) -- not a tail call: errors name 'quality'
  return r
end

--- IAD alone.
---@param X cod.MatrixLike
---@param labels integer[]
---@return number
function M.iad(X, labels)
  local r = core.iad(X, labels) -- not a tail call: errors name 'iad'
  return r
end

--- Outlier rate in percent.
---@param labels integer[]
---@return number
function M.outlier_rate(labels)
  local r = core.outlier_rate(labels) -- not a tail call: errors name 'outlier_rate'
  return r
end

--- The clustering methods, in the order of the paper's Table 3 with the default first.
---@type string[]
M.methods = { "improved_meanshift", "meanshift", "kmeans", "improved_kmeans", "dbscan" }

-- Fields of a result that are per-item or per-cluster arrays (left out of facts()).
local bulky = {
  labels = true, centres = true, member_means = true, sizes = true, zero = true, core = true,
  window_sizes = true, history = true, scan = true, assignments = true, kmeans_centres = true,
}

--- The scalar facts of a result (method, bandwidth, rounds, k, IAD, OR, reason, ...),
--- without the per-item arrays: what a report prints.
---@param res cod.cluster.Result
---@return table<string, number|string|boolean>
function M.facts(res)
  if type(res) ~= "table" then check.arg_error("facts", 1, "clustering result", res) end
  local out = {}
  for k, v in pairs(res) do
    if not bulky[k] and type(v) ~= "table" then out[k] = v end
  end
  return out
end

-- ------------------------------------------------------------------ registry

local registry = require("cod.registry").new("clustering method", M.methods)

--- Register a clustering method under a name, so that a recipe's cluster stage finds it
--- (`{ "cluster", { method = "name", options = {...} } }`). `fn(X, opts)` receives X as a
--- plain Lua table of rows (`X[i][j]`: pass rate of item i on ladder model j; the
--- zero-performance items are already dropped) and the stage's `options` table (never nil),
--- and returns a table with `labels`: one per row, cluster ids 1..k, -1 for an outlier.
--- Other fields are kept as the clustering's facts in the report.
---
---   cluster.register("by_mean", function(X, opts)
---     local labels = {}
---     for i, row in ipairs(X) do
---       local s = 0
---       for _, p in ipairs(row) do s = s + p end
---       labels[i] = (s / #row < (opts.split or 0.5)) and 1 or 2
---     end
---     return { labels = labels }
---   end)
---@param name string  not a built-in method's name
---@param fn fun(X: number[][], opts: table): {labels: integer[]}
---@param opts? {replace?: boolean}  replace a method registered earlier under this name
M.register = registry.register

--- Every method name: the built-in ones, then the registered ones (sorted).
---@return string[]
M.names = registry.names

-- Check a registered method's answer: labels per row, ids 1..k or -1. A wrong answer is a
-- bug in the method (a plain error naming it), not a user mistake.
local function check_labels(name, res, n)
  if type(res) ~= "table" or type(res.labels) ~= "table" then
    error(("clustering method '%s' must return a table with labels, got %s"):format(name,
      type(res) == "table" and "a table without labels" or type(res)), 0)
  end
  if #res.labels ~= n then
    error(("clustering method '%s' returned %d labels for %d items"):format(name, #res.labels, n), 0)
  end
  for i, l in ipairs(res.labels) do
    if math.type(l) ~= "integer" or l == 0 or l < -1 then
      error(("clustering method '%s': label %s of item %d is not a cluster id 1, 2, ... or -1"):format(name,
        tostring(l), i), 0)
    end
  end
end

--- Run a clustering method by name: a built-in one (`cluster.<name>(X, opts)`) or one
--- registered with cluster.register. An unknown name is a user error with a suggestion.
---@param name string
---@param X cod.MatrixLike
---@param opts? table
---@return cod.cluster.Result|table
function M.run(name, X, opts)
  check.arg("run", 1, name, "string")
  if registry.builtin(name) then
    local r = M[name](X, opts)
    return r
  end
  local fn = registry.lookup(name, "unknown clustering method '%s'%s (methods: %s; add one with cluster.register)")
  local rows = type(X) == "table" and X or X:totable()
  local res = fn(rows, opts or {})
  check_labels(name, res, #rows)
  res.method = res.method or name
  return res
end

-- ------------------------------------------------------------------ large sets

--- Distinct non-zero rows above which the pipeline's Improved MeanShift runs in large-set
--- mode (docs/cluster.md, "Large sets": chosen by measurement, bench/large_sets_eval.lua).
M.large_set_threshold = 8000

--- Rows of the seeded subsample on which large-set mode estimates the bandwidth R.
M.large_set_bandwidth_rows = 10000

--- Number of distinct rows of X (rows equal value for value, -0.0 == 0.0, count once): the
--- points Improved MeanShift climbs from once copies are collapsed.
---@param X cod.Matrix
---@return integer
function M.distinct_rows(X)
  return core.distinct_rows(X)
end

--- k of the rows 1..n drawn without replacement (a partial Fisher-Yates shuffle on stream 0 of
--- `seed`), sorted; nil when k <= 0 or k >= n (every row).
---@param n integer
---@param k integer
---@param seed integer
---@return integer[]|nil
function M.sample_rows(n, k, seed)
  if not k or k <= 0 or n <= k then return nil end
  local rng = require("cod.core.random").new(seed, 0)
  local swapped, rows = {}, {}
  for i = 1, k do
    local j = i - 1 + rng:below(n - i + 1)
    rows[i] = swapped[j] or j
    swapped[j] = swapped[i] or i
  end
  table.sort(rows)
  return rows
end

---@class cod.cluster.LargeSetPlan
---@field mode string              "exact" or "large-set"
---@field reason string            why, in words
---@field distinct_rows integer|nil distinct rows of X (counted unless forced exact or off)
---@field threshold integer        the threshold compared against (0 = off)
---@field options table            Improved MeanShift options to run with
---@field bandwidth_rows integer|nil  rows R was estimated on (large-set mode, when R was estimated here)
---@field bandwidth_estimate number|nil  that estimate

--- Which Improved MeanShift a set of non-zero rows gets: exact (every distinct row a seed, R
--- from every row) or, above `threshold` distinct rows, large-set mode: scikit-learn's bin
--- seeding, and R = min(estimate on a seeded subsample of `bandwidth_rows` rows, U). Options
--- the caller fixed (bin_seeding, bandwidth) are kept. `exact = true` forces exact clustering.
---@param X cod.Matrix           the non-zero rows
---@param options? table         Improved MeanShift options (not changed)
---@param opts? {threshold?: integer, bandwidth_rows?: integer, exact?: boolean, why_exact?: string}
---@return cod.cluster.LargeSetPlan
function M.large_set_plan(X, options, opts)
  opts = opts or {}
  local threshold = opts.threshold or M.large_set_threshold
  local plan = { mode = "exact", threshold = threshold, options = options or {} }
  if opts.exact then
    plan.reason = opts.why_exact or "exact clustering forced"
    return plan
  end
  if threshold <= 0 then
    plan.reason = "large-set mode off"
    return plan
  end
  local d = M.distinct_rows(X)
  plan.distinct_rows = d
  if d <= threshold then
    plan.reason = ("%d distinct non-zero rows, not above the large-set threshold %d"):format(d, threshold)
    return plan
  end
  local o = {}
  for k, v in pairs(options or {}) do o[k] = v end
  if o.bin_seeding == nil then o.bin_seeding = true end
  local rows = opts.bandwidth_rows or M.large_set_bandwidth_rows
  local what = "bin seeding"
  if o.bandwidth == nil and X:rows() > rows then
    -- SPEC §3.3 step 1 (paper_bandwidth: R = min(estimate, U)) on a seeded subsample.
    local sub = X:select_rows(M.sample_rows(X:rows(), rows, 0))
    local choice = M.paper_bandwidth(sub, { quantile = o.quantile, max_bandwidth = o.max_bandwidth,
      threads = o.threads })
    o.bandwidth = choice.bandwidth
    plan.bandwidth_rows, plan.bandwidth_estimate = rows, choice.bandwidth_estimate
    what = ("bin seeding, R from a seeded subsample of %d rows"):format(rows)
  end
  plan.mode = "large-set"
  plan.options = o
  plan.reason = ("%d distinct non-zero rows, above the large-set threshold %d: %s"):format(d, threshold, what)
  return plan
end

return M
