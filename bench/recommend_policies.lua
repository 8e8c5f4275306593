--- Replays candidate-weighting policies of the recommendation (docs/recommend.md) offline on
--- the per-set records of bench/recommend_eval.lua (run with --candidates default,e2e_passrate
--- so that every candidate subset can be replayed). Per policy and setting: mean FE of the
--- headline, and the 90% coverage at several kappa (interval as cod.recommend.interval, from
--- the combination's own backtest errors, cuts weighted 1/k^2). Policies with `cand_bias`
--- correct each candidate for its own trend first (cod.recommend.corrected, the current policy
--- of the third round is "per-candidate bias f=1 js se2 x4, 1/s^2"; the fourth round's rule
--- for single-answer sets is not here: bench/recommend_replay.lua replays the module itself);
--- records of bench/recommend_real.lua --out replay the real ladders (one column per target).
---
---   codlua bench/recommend_policies.lua RECORDS.json [more.json ...]

local json = require("cod.json")
local recommend = require("cod.recommend")

local records = {}
for _, path in ipairs({ ... }) do
  local f = assert(io.open(path, "r"))
  for _, r in ipairs(json.decode(f:read("a"))) do records[#records + 1] = r end
  f:close()
end

local FOUR = { "cod", "e2e_exp", "bnsl", "loss_intermediate" }
local FIVE = { "cod", "e2e_exp", "bnsl", "loss_intermediate", "e2e_passrate" }

-- Rate over errors with a cut weighting (as cod.recommend's rate_of).
local function rate(errors, cw)
  local se, sd = 0, 0
  for _, e in ipairs(errors) do
    local w = cw(e.cut)
    local d = math.max(e.distance, recommend.distance_floor)
    se = se + w * e.error ^ 2
    sd = sd + w * d * d
  end
  return sd > 0 and math.sqrt(se / sd) or nil
end
local CUT1 = function(k) return k == 1 and 1 or 0 end
local K2 = function(k) return 1 / (k * k) end

-- Datasets: a setting and seed (the run pools weights over a dataset's sets).
local datasets, order = {}, {}
for _, r in ipairs(records) do
  local key = r.setting .. "/" .. r.seed
  if not datasets[key] then
    datasets[key] = { setting = r.setting, sets = {} }
    order[#order + 1] = key
  end
  local c = {}
  for _, x in ipairs(r.candidates) do c[x.recipe] = x end
  r.by = c
  table.insert(datasets[key].sets, r)
end

-- A policy: candidates, cut weighting, and a function from (pooled rates, set rates) to weights.
local function power(p) return function(s) return 1 / math.max(s, recommend.min_rate) ^ p end end
local policies = {
  { name = "current: 1/s^2, cut 1, pooled, four", cands = FOUR, cw = CUT1, w = power(2) },
  { name = "1/s^2, cuts 1/k^2, four", cands = FOUR, cw = K2, w = power(2) },
  { name = "1/s, cut 1, four", cands = FOUR, cw = CUT1, w = power(1) },
  { name = "1/s^4, cut 1, four", cands = FOUR, cw = CUT1, w = power(4) },
  { name = "1/s^8, cut 1, four", cands = FOUR, cw = CUT1, w = power(8) },
  { name = "1/s^4, cuts 1/k^2, four", cands = FOUR, cw = K2, w = power(4) },
  { name = "select argmin pooled, cut 1, four", cands = FOUR, cw = CUT1, select = 1 },
  { name = "select argmin pooled, cuts 1/k^2, four", cands = FOUR, cw = K2, select = 1 },
  { name = "top 2 by 1/s^2, cut 1, four", cands = FOUR, cw = CUT1, w = power(2), top = 2 },
  { name = "top 2 equal, cut 1, four", cands = FOUR, cw = CUT1, w = power(0), top = 2, rank = true },
  { name = "plain mean, four", cands = FOUR, cw = CUT1, w = power(0) },
  { name = "1/s^2 shrunk per set (a=0.3), cut 1, four", cands = FOUR, cw = CUT1, w = power(2), shrink = 0.3 },
  { name = "1/s^2 shrunk per set (a=0.3), cuts 1/k^2, four", cands = FOUR, cw = K2, w = power(2), shrink = 0.3 },
  { name = "1/s^2, cut 1, five", cands = FIVE, cw = CUT1, w = power(2) },
  { name = "1/s^4, cut 1, five", cands = FIVE, cw = CUT1, w = power(4) },
  { name = "softmax T=0.5 on s, cut 1, four", cands = FOUR, cw = CUT1, soft = 0.5 },
  { name = "softmax T=0.25 on s, cut 1, four", cands = FOUR, cw = CUT1, soft = 0.25 },
  { name = "current + bias correction f=1, per set", cands = FOUR, cw = CUT1, w = power(2), bias = 1 },
  { name = "current + bias correction f=0.5, per set", cands = FOUR, cw = CUT1, w = power(2), bias = 0.5 },
  { name = "current + bias correction f=1, pooled", cands = FOUR, cw = CUT1, w = power(2), bias = 1, pooled_bias = true },
  { name = "current + bias correction f=0.5, pooled", cands = FOUR, cw = CUT1, w = power(2), bias = 0.5, pooled_bias = true },
  { name = "current + bias correction f=b^2/(b^2+se^2), pooled", cands = FOUR, cw = CUT1, w = power(2), bias = 1, pooled_bias = true, js = true },
  { name = "current + bias correction f=0.5 b^2/(b^2+se^2), pooled", cands = FOUR, cw = CUT1, w = power(2), bias = 0.5, pooled_bias = true, js = true },
}
for _, p in ipairs({
  { name = "1/s^4 + bias f=1 js, pooled", cands = FOUR, cw = CUT1, w = power(4), bias = 1, pooled_bias = true, js = true },
  { name = "1/s^4 + bias f=0.5 js, pooled", cands = FOUR, cw = CUT1, w = power(4), bias = 0.5, pooled_bias = true, js = true },
  { name = "per-candidate bias f=1 js, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1 },
  { name = "per-candidate bias f=0.5 js, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 0.5 },
  { name = "per-candidate bias f=1 js se2 x2, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 2 },
  { name = "per-candidate bias f=1 js se2 x4, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4 },
  { name = "per-candidate bias f=1 js se2 x9, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 9 },
  { name = "per-candidate bias f=1 js se2 x4, trend from cut 1", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, bias_cw = CUT1 },
  { name = "per-candidate bias f=1 js se2 x4, trend cuts 1/k", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, bias_cw = function(k) return 1 / k end },
  { name = "per-candidate bias f=1 js se2 x4, trend cuts equal", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, bias_cw = function() return 1 end },
  { name = "per-candidate bias f=1 js se2 x4, trend cuts 1/k^3", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, bias_cw = function(k) return 1 / k^3 end },
  { name = "per-candidate bias f=1 js se2 x1, clustered by set", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 1, cluster = true },
  { name = "per-candidate bias f=1 js se2 x2, clustered by set", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 2, cluster = true },
  { name = "per-candidate bias f=1 js se2 x4, clustered by set", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, cluster = true },
  { name = "per-candidate bias f=1 js se2 x4, weights from raw backtests", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1, se_mult = 4, raw_weights = true },
  { name = "per-candidate bias f=1 js se2 x4, 1/s^4", cands = FOUR, cw = CUT1, w = power(4), cand_bias = 1, se_mult = 4 },
  { name = "per-candidate bias f=1 js se2 x4, 1/s^3", cands = FOUR, cw = CUT1, w = power(3), cand_bias = 1, se_mult = 4 },
  { name = "per-candidate bias f=0.75 js, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 0.75 },
  { name = "per-candidate bias f=1.25 js, 1/s^2", cands = FOUR, cw = CUT1, w = power(2), cand_bias = 1.25 },
  { name = "per-candidate bias f=1 js, 1/s^4", cands = FOUR, cw = CUT1, w = power(4), cand_bias = 1 },
  { name = "per-candidate bias f=1 js, 1/s^2, cuts 1/k^2", cands = FOUR, cw = K2, w = power(2), cand_bias = 1 },
  { name = "per-candidate bias f=1 js, select", cands = FOUR, cw = CUT1, select = 1, cand_bias = 1 },
  { name = "per-candidate bias f=1 js, 1/s^2, five", cands = FIVE, cw = CUT1, w = power(2), cand_bias = 1 },
}) do policies[#policies + 1] = p end
for _, n in ipairs(FIVE) do
  policies[#policies + 1] = { name = n .. " alone", cands = { n }, cw = CUT1, w = power(0) }
end

local KAPPAS = { 1.0, 1.25, 1.5, 1.75, 2.0 }
local SETTINGS, seen_setting = {}, {}
for _, r in ipairs(records) do
  if not seen_setting[r.setting] then
    seen_setting[r.setting] = true
    SETTINGS[#SETTINGS + 1] = r.setting
  end
end

-- Signed error per unit distance, least squares through the origin (cuts 1/k^2).
local function bias_of(errors, cw)
  cw = cw or K2
  local num, den = 0, 0
  for _, e in ipairs(errors) do
    local w, d = cw(e.cut), math.max(e.distance, recommend.distance_floor)
    num = num + w * e.error * d
    den = den + w * d ^ 2
  end
  if den <= 0 then return 0, 0 end
  local b = num / den
  -- Standard error of b: weighted residuals around b*d, n - 1 degrees of freedom.
  local rss, n = 0, 0
  for _, e in ipairs(errors) do
    local w = cw(e.cut)
    rss = rss + w * (e.error - b * math.max(e.distance, recommend.distance_floor)) ^ 2
    if w > 0 then n = n + 1 end
  end
  local se2 = n > 1 and rss / ((n - 1) * den) or math.huge
  return b, se2
end

-- A candidate's own systematic trend removed (pooled over the dataset's sets, significance-
-- shrunk, share f): its predictions and backtest errors as if it had been corrected.
local function debias_candidates(ds, cands, f, m, cw, cluster)
  local function corr(b, d) return d >= recommend.distance_floor and f * b * d or 0 end
  local sets = {}
  for i, s in ipairs(ds.sets) do sets[i] = setmetatable({ by = {} }, { __index = s }) end
  for _, n in ipairs(cands) do
    local errs = {}
    for _, s in ipairs(ds.sets) do
      if s.by[n] then for _, e in ipairs(s.by[n].errors or {}) do errs[#errs + 1] = e end end
    end
    local b, se2 = bias_of(errs, cw)
    if cluster then
      -- Standard error from the sets' own slopes (a set's cuts share its target: not independent).
      local bs = {}
      for _, s in ipairs(ds.sets) do
        if s.by[n] and s.by[n].errors and #s.by[n].errors > 0 then bs[#bs + 1] = (bias_of(s.by[n].errors, cw)) end
      end
      local mean, v = 0, 0
      for _, x in ipairs(bs) do mean = mean + x / #bs end
      for _, x in ipairs(bs) do v = v + (x - mean) ^ 2 end
      se2 = #bs > 1 and v / (#bs - 1) / #bs or math.huge
    end
    b = b * b * b / (b * b + (m or 1) * se2)
    for i, s in ipairs(ds.sets) do
      local c = s.by[n]
      if c then
        local e2 = {}
        for j, e in ipairs(c.errors or {}) do
          e2[j] = { cut = e.cut, task = e.task, distance = e.distance,
            error = e.error - corr(b, e.distance) }
        end
        sets[i].by[n] = { prediction = c.prediction and
          math.min(1, math.max(0, c.prediction - corr(b, s.distance) / 100)), errors = e2 }
      end
    end
  end
  return { setting = ds.setting, sets = sets }
end

local function run_policy(pol)
  local out = {}
  for _, key in ipairs(order) do
    local rows, all_errors = {}, {}
    local ds = datasets[key]
    local raw = ds
    if pol.cand_bias then ds = debias_candidates(ds, pol.cands, pol.cand_bias, pol.se_mult, pol.bias_cw, pol.cluster) end
    -- Pooled rates over the dataset's sets.
    local pooled = {}
    for _, n in ipairs(pol.cands) do
      local errs = {}
      for _, s in ipairs(pol.raw_weights and raw.sets or ds.sets) do
        local c = s.by[n]
        if c then for _, e in ipairs(c.errors or {}) do errs[#errs + 1] = e end end
      end
      pooled[n] = rate(errs, pol.cw)
    end
    for _, s in ipairs(ds.sets) do
      local members = {}
      for _, n in ipairs(pol.cands) do
        local c = s.by[n]
        if c and c.prediction and pooled[n] then
          local r = pooled[n]
          if pol.shrink then
            local rs = rate(c.errors or {}, pol.cw)
            if rs then r = math.sqrt(pol.shrink * rs ^ 2 + (1 - pol.shrink) * r ^ 2) end
          end
          members[#members + 1] = { name = n, r = r, c = c }
        end
      end
      table.sort(members, function(a, b) return a.r < b.r end)
      if pol.select then members = { members[1] } end
      if pol.top then
        local t = {}
        for i = 1, math.min(pol.top, #members) do t[i] = members[i] end
        members = t
      end
      local total, pred = 0, 0
      local best = members[1] and members[1].r
      for _, m in ipairs(members) do
        if pol.soft then
          m.w = math.exp(-(math.max(m.r, recommend.min_rate) - best) / pol.soft)
        elseif pol.select then
          m.w = 1
        else
          m.w = pol.w(m.r)
        end
        total = total + m.w
      end
      for _, m in ipairs(members) do
        m.w = m.w / total
        pred = pred + m.w * m.c.prediction
      end
      -- The combination's backtest errors per cut, rate over cuts 1/k^2 (as cod.recommend.combine).
      local cerr = {}
      for id = 1, 20 do
        local num, den, dist, cut = 0, 0, nil, nil
        for _, m in ipairs(members) do
          for _, e in ipairs(m.c.errors or {}) do
            if (e.task or e.cut) == id then
              num, den, dist, cut = num + m.w * e.error, den + m.w, e.distance, e.cut
            end
          end
        end
        if den > 0 then cerr[#cerr + 1] = { cut = cut, error = num / den, distance = dist } end
      end
      local crate = rate(cerr, K2)
      for _, e in ipairs(cerr) do all_errors[#all_errors + 1] = e end
      if #members > 0 then
        rows[#rows + 1] = { pred = pred, cerr = cerr, s = s, rate = crate }
      end
    end
    local pooled_bias, pooled_se2 = bias_of(all_errors)
    if pol.js then pooled_bias = pooled_bias * pooled_bias ^ 2 / (pooled_bias ^ 2 + pooled_se2) end
    for _, row in ipairs(rows) do
      local pred = row.pred
      if pol.bias then
        local b = pol.pooled_bias and pooled_bias or bias_of(row.cerr)
        pred = pred - pol.bias * b * math.max(row.s.distance, recommend.distance_floor) / 100
      end
      out[#out + 1] = { setting = ds.setting, fe = 100 * math.abs(pred - row.s.actual), rate = row.rate,
        distance = row.s.distance }
    end
  end
  return out
end

local function summary(rows)
  local line, avg, nset = "", 0, 0
  local cov = {}
  for _, st in ipairs(SETTINGS) do
    local sum, n, mx = 0, 0, 0
    for _, r in ipairs(rows) do
      if r.setting == st then
        sum, n, mx = sum + r.fe, n + 1, math.max(mx, r.fe)
      end
    end
    if n > 0 then
      line = line .. (" | %.2f"):format(sum / n)
      avg, nset = avg + sum / n, nset + 1
    else
      line = line .. " | -"
    end
  end
  for i, k in ipairs(KAPPAS) do
    local c, n, minset = 0, 0, 1
    for _, st in ipairs(SETTINGS) do
      local cs, ns = 0, 0
      for _, r in ipairs(rows) do
        if r.setting == st and r.rate and r.distance then
          local half = recommend.z90 * k * math.max(r.rate, recommend.min_rate) *
            math.max(r.distance, recommend.distance_floor)
          ns = ns + 1
          if r.fe <= half then cs = cs + 1 end
        end
      end
      c, n = c + cs, n + ns
      if ns > 0 then minset = math.min(minset, cs / ns) end
    end
    cov[i] = ("%.0f%% (min %.0f%%)"):format(100 * c / math.max(n, 1), 100 * minset)
  end
  return line .. (" | %.2f | "):format(avg / math.max(nset, 1)) .. table.concat(cov, " | ") .. " |"
end

local head = "| policy | " .. table.concat(SETTINGS, " | ") .. " | avg |"
for _, k in ipairs(KAPPAS) do head = head .. (" cov κ=%.2f |"):format(k) end
print(head)
for _, pol in ipairs(policies) do
  print("| " .. pol.name .. summary(run_policy(pol)))
end
