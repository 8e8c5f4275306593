--- Replays the recommendation offline with cod.recommend's own functions (candidate_biases,
--- corrected, weights, members, combine, interval) on the per-set records of
--- bench/recommend_eval.lua / recommend_real.lua (--out; run with --candidates
--- default,e2e_passrate). With no policy changed it reproduces the engine's headline and
--- interval exactly (docs/recommend.md, fourth round). Per policy: mean/max FE per setting, the
--- average of the means, and the sets the 90% interval covers.
---
---   codlua bench/recommend_replay.lua A.json[,B.json...] [POLICIES.lua]
---
--- WIDTHS=1 adds each setting's coverage and mean half-width (points); DUMP=FILE writes the
--- first policy's per-set rows (JSON). POLICIES.lua returns a
--- list of {name, mod = {recommend field = value}, power = p (weights 1/s^p), cands = {names}
--- (every set's candidates), single_drop / single_add = {name = true} (candidates left out of /
--- added on 0/1 sets, which otherwise get cod.recommend.single_answer_candidates too),
--- single_bias_scale = f}; the default list is below.
--- Records without `single_answer` (older runs) count the "single" setting and BIG-G as 0/1.
local json = require("cod.json")
local recommend = require("cod.recommend")
local files = {}
for a in (arg[1]):gmatch("[^,]+") do files[#files + 1] = a end
local recs = {}
for _, p in ipairs(files) do
  local f = assert(io.open(p)); for _, r in ipairs(json.decode(f:read("a"))) do recs[#recs + 1] = r end; f:close()
end
local FOUR = { "cod", "e2e_exp", "bnsl", "loss_intermediate" }
local function is_single(r)
  if r.single_answer ~= nil then return r.single_answer end
  return r.setting == "single" or r.setting:match("^bigbench") ~= nil
end
local datasets, order = {}, {}
for _, r in ipairs(recs) do
  local key = r.setting .. "/" .. r.seed
  if not datasets[key] then datasets[key] = { setting = r.setting, sets = {} }; order[#order + 1] = key end
  table.insert(datasets[key].sets, r)
end

local function run(pol)
  local saved = {}
  for k, v in pairs(pol.mod or {}) do saved[k] = recommend[k]; recommend[k] = v end
  local out = {}
  for _, key in ipairs(order) do
    local ds = datasets[key]
    local prepared = {}
    for i, s in ipairs(ds.sets) do
      local single = is_single(s)
      local p = { order = {}, backtest = {}, predictions = {}, tasks = {}, single = single, single_answer = single }
      local seen = {}
      for _, c in ipairs(s.candidates) do
        local drop = single and pol.single_drop and pol.single_drop[c.recipe]
        if not drop then
          local want = false
          for _, n in ipairs(pol.cands or FOUR) do if n == c.recipe then want = true end end
          if single and pol.single_add and pol.single_add[c.recipe] then want = true end
          -- The engine's own 0/1 candidates (cod.recommend.single_answer_candidates), unless
          -- the policy names its candidates.
          if single and not pol.cands then
            for _, n in ipairs(recommend.single_answer_candidates) do
              if n == c.recipe then want = true end
            end
          end
          if want then
            p.order[#p.order + 1] = c.recipe
            local errs = {}
            for j, e in ipairs(c.errors or {}) do
              errs[j] = { error = e.error, distance = e.distance, cut = e.cut, task = e.cut }
              if not seen[e.cut] then seen[e.cut] = true; p.tasks[#p.tasks + 1] = { id = e.cut, cut = e.cut, distance = e.distance } end
            end
            p.backtest[c.recipe] = { errors = errs, failures = {} }
            p.predictions[c.recipe] = c.prediction
          end
        end
      end
      table.sort(p.tasks, function(a, b) return a.id < b.id end)
      prepared[i] = p
    end
    local biases = recommend.candidate_biases(prepared)
    local corrected = {}
    for i, p in ipairs(prepared) do
      local bs = biases
      if p.single and pol.single_bias_scale then
        local t = {}
        for k, v in pairs(bs) do t[k] = v * pol.single_bias_scale end
        bs = t
      end
      corrected[i] = recommend.corrected(p, bs, ds.sets[i].distance)
    end
    local weights = recommend.weights(corrected)
    if pol.power then for _, w in pairs(weights) do w.weight = 1 / math.max(w.weight_rate, recommend.min_rate) ^ pol.power end end
    for i, p in ipairs(corrected) do
      local s = ds.sets[i]
      local members = recommend.members(weights, p.predictions, p.order)
      local combo = recommend.combine(members, p.predictions, p.backtest, p.tasks)
      if combo.prediction then
        local iv = recommend.interval(combo.prediction, combo.rate, s.distance, nil,
          recommend.target_sd(combo.prediction, s.items, is_single(s)))
        out[#out + 1] = { setting = ds.setting, fe = 100 * math.abs(combo.prediction - s.actual),
          cov = s.actual >= iv[1] and s.actual <= iv[2], half = 50 * (iv[2] - iv[1]), rate = combo.rate, distance = s.distance,
          pred = combo.prediction, actual = s.actual, seed = s.seed, set = s.set, expected = s.expected,
          items = s.items, weights = combo.weights, predictions = p.predictions, corrections = p.corrections }
      end
    end
  end
  for k, v in pairs(saved) do recommend[k] = v end
  return out
end

-- WIDTHS=1 in the environment: each setting's coverage and mean half-width too.
local WIDTHS = os.getenv("WIDTHS") == "1"

local function summary(rows, groups)
  local parts, tot, n = {}, 0, 0
  local cov, cn = 0, 0
  for _, g in ipairs(groups) do
    local s, c, m, gc, h = 0, 0, 0, 0, 0
    for _, r in ipairs(rows) do
      if r.setting == g then
        s, c, m, h = s + r.fe, c + 1, math.max(m, r.fe), h + r.half
        gc = gc + (r.cov and 1 or 0)
      end
    end
    cov, cn = cov + gc, cn + c
    if c > 0 then
      parts[#parts + 1] = WIDTHS and ("%.2f/%.2f (%d/%d ±%.1f)"):format(s / c, m, gc, c, h / c) or
        ("%.2f/%.2f"):format(s / c, m)
      tot, n = tot + s / c, n + 1
    end
  end
  return table.concat(parts, " "), tot / math.max(n, 1), cov, cn
end

local groups, seen = {}, {}
for _, r in ipairs(recs) do if not seen[r.setting] then seen[r.setting] = true; groups[#groups + 1] = r.setting end end
local POLICIES = arg[2] and dofile(arg[2]) or {
  { name = "current" },
  { name = "0/1 sets: without e2e_passrate (fourth round)", single_drop = { e2e_passrate = true } },
  { name = "0/1 sets: target's sampling noise in the interval", mod = { single_answer_target_noise = true } },
  { name = "weights 1/s^4", power = 4 },
  { name = "0/1 sets: without cod", single_drop = { cod = true } },
  { name = "e2e_passrate on every set", cands = { "cod", "e2e_exp", "bnsl", "loss_intermediate", "e2e_passrate" } },
}
-- DUMP=FILE in the environment: the first policy's per-set rows (headline, members' weights,
-- corrected predictions) as JSON, for per-set analysis.
local DUMP = os.getenv("DUMP")
for i, pol in ipairs(POLICIES) do
  local rows = run(pol)
  if DUMP and i == 1 then json.write_file(DUMP, rows) end
  local line, avg, cov, cn = summary(rows, groups)
  print(("%-40s %s | avg %.3f | cov %d/%d"):format(pol.name, line, avg, cov, cn))
end
