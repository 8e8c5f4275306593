-- scripts/table*.lua: each runs through the codlua binary on a small synthetic ladder (and a
-- few real sets), prints its table, writes its CSV, and the numbers obey the method's structure.
local T = require("testlib")
local q = T.shell_quote
local bin = q(T.codlua)
local sys = require("cod.core.sys")

local SMALL = " --datasets synthetic --scale 0.1 --quiet"

local function script(name) return q(T.source .. "/scripts/" .. name .. ".lua") end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(sys.mkdir(p))
  return p
end

local slurp = T.read

-- A CSV written by the scripts (no quoted commas in the fields tested here) as header + rows.
local function read_csv(path)
  local lines = {}
  for line in slurp(path):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local header = {}
  for f in (lines[1] .. ","):gmatch("([^,]*),") do header[#header + 1] = f end
  local rows = {}
  for i = 2, #lines do
    local r, k = {}, 0
    for f in (lines[i] .. ","):gmatch("([^,]*),") do
      k = k + 1
      r[header[k]] = tonumber(f) or (f ~= "" and f or nil)
    end
    rows[#rows + 1] = r
  end
  return lines[1], rows
end

-- Run a script; returns stdout, the CSV header line and rows.
local function run(name, extra)
  local dir = tmpdir()
  local csv = dir .. "/" .. name .. ".csv"
  local code, out, err = T.run(bin .. " " .. script(name) .. (extra or SMALL) .. " --csv " .. q(csv))
  T.eq(code, 0, name .. " exit status (stderr: " .. err .. ")")
  local header, rows = read_csv(csv)
  T.remove_tree(dir)
  return out, header, rows
end

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

local function by(rows, field, value)
  for _, r in ipairs(rows) do
    if r[field] == value then return r end
  end
end

local SETS = { "gsm8k_like", "math_like", "bbh_like", "triviaqa_like", "mbpp_like", "agieval_like", "drop_like",
  "mmlu_pro_like" }

T.test("table1: sets x recipes with Mean and Max, CSV with one row per set and the two summaries", function()
  local out, header, rows = run("table1")
  T.truthy(out:find("Table 1 (FE, points) — synthetic", 1, true), out)
  T.truthy(out:find("set%s+items%s+actual%s+cod%s+cod_no_mapping%s+e2e_exp%s+e2e_passrate%s+bnsl%s+loss_intermediate\n"),
    "printed header, got\n" .. out)
  T.truthy(out:find("\nMean ", 1, true) and out:find("\nMax ", 1, true), "Mean and Max rows")
  T.eq(header, "dataset,set,items,actual,cod,cod_no_mapping,e2e_exp,e2e_passrate,bnsl,loss_intermediate,fallbacks,failed")
  T.eq(#rows, #SETS + 2)
  for i, s in ipairs(SETS) do T.eq(rows[i].set, s) end
  -- Every recipe predicts every synthetic set, and the Mean row is the mean of the set rows.
  for _, recipe in ipairs({ "cod", "cod_no_mapping", "e2e_exp", "e2e_passrate", "bnsl", "loss_intermediate" }) do
    local sum, max = 0, -math.huge
    for i = 1, #SETS do
      T.truthy(finite(rows[i][recipe]), recipe .. " FE on " .. SETS[i])
      sum = sum + rows[i][recipe]
      max = math.max(max, rows[i][recipe])
    end
    T.near(by(rows, "set", "Mean")[recipe], sum / #SETS, 1e-8, recipe .. " Mean")
    T.near(by(rows, "set", "Max")[recipe], max, 1e-8, recipe .. " Max")
  end
  -- On 100-sample synthetic data with anchors, COD lands within a few points of the truth.
  T.truthy(by(rows, "set", "Mean").cod < 5, "cod mean FE < 5 points, got " .. tostring(by(rows, "set", "Mean").cod))
end)

T.test("table2: own clustering vs transferred labels on two synthetic families", function()
  local out, header, rows = run("table2")
  T.truthy(out:find("Table 2 (transfer; EE, FE in points) — synthetic", 1, true), out)
  T.truthy(out:find("set%s+actual%s+own EE%s+own FE%s+own TR%%%s+transfer EE%s+transfer FE%s+transfer TR%%\n"), out)
  T.eq(header, "dataset,set,actual,own_ee,own_fe,own_tr,transfer_ee,transfer_fe,transfer_tr")
  T.eq(#rows, #SETS + 2)
  for i = 1, #SETS do
    T.truthy(finite(rows[i].own_fe) and finite(rows[i].transfer_fe), "both predict " .. rows[i].set)
    T.truthy(rows[i].transfer_tr > 0 and rows[i].transfer_tr <= 100, "transfer TR in (0, 100]")
  end
  T.truthy(out:find("source ladder A-1 .. A-8", 1, true), "names the source family")
end)

T.test("table3: five clustering methods; KMeans leaves out only zero items, Improved-KMeans removes more", function()
  local out, header, rows = run("table3")
  T.truthy(out:find("method%s+IAD%s+OR %(%%%)%s+EE%s+FE%s+predicted\n"), out)
  T.eq(header, "dataset,variant,recipe,iad,outlier_rate,ee,fe,sets,predicted")
  T.eq(#rows, 5)
  local order = { "Improved MeanShift", "KMeans", "DBSCAN", "MeanShift", "Improved-KMeans" }
  for i, name in ipairs(order) do
    T.eq(rows[i].variant, name)
    T.truthy(finite(rows[i].iad) and rows[i].iad > 0, name .. " IAD")
    T.truthy(rows[i].outlier_rate >= 0 and rows[i].outlier_rate <= 100, name .. " OR")
    T.eq(rows[i].sets, #SETS)
  end
  local km, ikm = by(rows, "recipe", "cod_kmeans"), by(rows, "recipe", "cod_improved_kmeans")
  T.truthy(ikm.outlier_rate >= km.outlier_rate, ("Improved-KMeans OR %g >= KMeans OR %g"):format(ikm.outlier_rate,
    km.outlier_rate))
  -- KMeans assigns every item that is not all-zero on the ladder: its OR is the share of
  -- zero-performance items, computed here from the same synthetic data.
  local synth, data = require("cod.synth"), require("cod.data")
  local ds = synth.paper_like({ seed = 1, anchors = 2, target_factor = 5, trials = 100, scale = 0.1 })
  local sel = ds:select({})
  local share = 0
  for _, set in ipairs(ds:sets()) do
    share = share + 100 * #data.zero_items(ds:features(set, sel.ladder)) / #ds:items(set)
  end
  T.near(km.outlier_rate, share / #ds:sets(), 1e-8, "KMeans OR = zero-item share")
end)

T.test("table4: the four fitting forms with EE, TR and FE", function()
  local out, header, rows = run("table4")
  T.truthy(out:find("method%s+definition%s+EE%s+TR %(%%%)%s+FE%s+predicted\n"), out)
  T.eq(header, "dataset,variant,recipe,text,ee,tr,fe,sets,predicted")
  T.eq(#rows, 4)
  for i, r in ipairs({ "cod", "cod_f1", "cod_f2", "cod_f3" }) do
    T.eq(rows[i].recipe, r)
    T.truthy(finite(rows[i].ee) and finite(rows[i].fe), r .. " EE and FE")
    T.truthy(rows[i].tr > 0 and rows[i].tr <= 100, r .. " TR")
  end
  T.truthy(out:find("exp(-a*C^-b)", 1, true), "prints the formulas")
end)

T.test("tableA1: looser rules keep at least the paper's clusters, stricter ones at most", function()
  local out, header, rows = run("tableA1")
  T.truthy(out:find("Table A1 (filter thresholds)", 1, true), out)
  T.eq(header, "dataset,variant,recipe,text,ee,tr,fe,sets,predicted")
  T.eq(#rows, 5)
  local tr = {}
  for _, r in ipairs(rows) do tr[r.variant] = r.tr end
  T.truthy(tr.none >= tr.paper and tr.ablation_a >= tr.paper and tr.ablation_b >= tr.paper, "looser rules")
  T.truthy(tr.ablation_c <= tr.paper, "stricter c")
  T.truthy(tr.none >= tr.ablation_a and tr.none >= tr.ablation_b and tr.none >= tr.ablation_c, "none keeps most")
end)

T.test("tableA3: with and without anchors; the anchors change only the mapping", function()
  local out, header, rows = run("tableA3")
  T.truthy(out:find("set%s+actual%s+EE%s+cod_anchor%s+cod_no_anchor%s+anchors used\n"), out)
  T.eq(header, "dataset,set,actual,ee,cod_anchor,cod_no_anchor,anchors")
  T.eq(#rows, #SETS + 2)
  local differ = 0
  for i = 1, #SETS do
    T.eq(rows[i].anchors, 2)
    T.truthy(finite(rows[i].cod_anchor) and finite(rows[i].cod_no_anchor), rows[i].set)
    if math.abs(rows[i].cod_anchor - rows[i].cod_no_anchor) > 1e-9 then differ = differ + 1 end
  end
  T.eq(differ, #SETS, "anchor points move every mapping")
end)

T.test("table1 on a real dataset folder and on a scores-only one", function()
  local out, header, rows = run("table1", " --quiet --data " .. q(T.source .. "/data/pythia-arith")
    .. " --sets arith_addition_2shot,arith_multiplication_8shot --recipes cod,e2e_exp")
  T.truthy(out:find("ladder of 36 models", 1, true), "pythia-arith preset: the six smaller sizes, got\n" .. out)
  T.eq(header, "dataset,set,items,actual,cod,e2e_exp,fallbacks,failed")
  T.eq(#rows, 4)
  T.eq(rows[1].dataset, "pythia-arith")
  T.truthy(finite(rows[1].e2e_exp), "e2e_exp predicts")
  out, header, rows = run("table1", " --quiet --data " .. q(T.source .. "/data/olmo2-ladder")
    .. " --sets boolq_val_rc_5shot_acc")
  T.eq(header, "dataset,set,items,actual,cod,cod_no_mapping,e2e_exp,e2e_passrate,bnsl,loss_intermediate,fallbacks,failed")
  T.truthy(out:find("boolq_val_rc_5shot_acc%s+0%s+0%.8462%s+n/a%s+n/a"), "cod columns n/a on scores, got\n" .. out)
  T.truthy(finite(rows[1].loss_intermediate), "loss_intermediate predicts")
end)

T.test("--out writes <script>.csv into a new folder; the same seed gives the same bytes", function()
  local dir = tmpdir()
  local code = T.run(bin .. " " .. script("table4") .. SMALL .. " --out " .. q(dir .. "/a"))
  T.eq(code, 0)
  local code2 = T.run(bin .. " " .. script("table4") .. SMALL .. " --out " .. q(dir .. "/b"))
  T.eq(code2, 0)
  T.eq(slurp(dir .. "/a/table4.csv"), slurp(dir .. "/b/table4.csv"))
  T.remove_tree(dir)
end)

T.test("bad options and missing anchors are errors with a clear message", function()
  local code, _, err = T.run(bin .. " " .. script("table1") .. " --datasets nope")
  T.eq(code, 2)
  T.eq(err, "table1: unknown dataset 'nope' (datasets: synthetic, bigbench-bigg, pythia-arith, pythia-monkeys, "
    .. "olmo2-ladder)\n")
  code, _, err = T.run(bin .. " " .. script("table3") .. " --scale 0")
  T.eq(code, 2)
  T.eq(err, "table3: --scale must be > 0, got 0\n")
  code, _, err = T.run(bin .. " " .. script("tableA3") .. " --quiet --data " .. q(T.source .. "/data/bigbench-bigg"))
  T.eq(code, 1)
  T.eq(err, "tableA3: bigbench-bigg has no anchor models: give --anchors A1,... (models with results on the same "
    .. "items, used only in the mapping)\n")
  code, _, err = T.run(bin .. " " .. script("table2") .. " --quiet --data " .. q(T.source .. "/data/bigbench-bigg"))
  T.eq(code, 1)
  T.eq(err, "table2: no source family: give --source-ladder M1,... (or --split-step S to split the ladder by step)\n")
end)

T.test("features.lua: single-answer backtests and the generated lm-eval ladder, with the measured shape", function()
  local dir = tmpdir()
  local code, out, err = T.run(bin .. " " .. script("features") .. " --seeds 1 --items 300 --csv " ..
    q(dir .. "/features.csv") .. " --tmp " .. q(dir .. "/logs"))
  T.eq(code, 0, err)
  T.truthy(out:find("### BIG%-G | feature metric"), out)
  T.truthy(out:find("### synthetic lm%-eval | feature choice_prob"), out)
  local _, rows = read_csv(dir .. "/features.csv")
  local bigg = 0
  for _, r in ipairs(rows) do
    if r.dataset == "BIG-G" then
      bigg = bigg + 1
      -- Single-answer BIG-G: the item-response recipe is far closer than plain COD (docs/features.md).
      T.truthy(r.cod_irt < r.cod, ("%s %s: cod_irt %.2f vs cod %.2f"):format(r.target, r.set, r.cod_irt, r.cod))
    end
  end
  T.eq(bigg, 4)
  T.remove_tree(dir)
end)

T.done()
