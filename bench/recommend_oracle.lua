--- Where a setting's headline error comes from (docs/recommend.md, "What limits the small
--- paper-like ladders"): per set, the headline's error against the best the candidates could
--- have done with hindsight (oracle bounds), per evaluation set and per block of 3 seeds.
---
---   DUMP=ROWS.json codlua bench/recommend_replay.lua RECORDS.json POLICIES.lua
---   codlua bench/recommend_oracle.lua RECORDS.json ROWS.json [SETTING]   (default: paper)
---
--- RECORDS from bench/recommend_eval.lua --out (run with --candidates default,e2e_passrate);
--- ROWS the replay's per-set rows of one policy (headline, members' weights, the candidates'
--- trend-corrected predictions). Oracles, per set with hindsight: the best raw candidate; the
--- best weighted mean of the raw candidates (0 when they straddle the truth); the best
--- trend-corrected candidate. Blocks are seeds s, s+1, s+2 with s = 101 + 3k (24 sets on 8-set
--- data), the unit of the tables in docs/recommend.md.
---
---   codlua bench/recommend_oracle.lua --hidden SCALE FIRST_SEED SEEDS
---
--- The items of the paper setting that no ladder or anchor model reveals (true pass probability
--- below 0.01 on all of them): their share of the target's expected score, and the target's own
--- binomial sampling sd, per set (the generator's truth; no prediction is run).
local json = require("cod.json")

local FOUR = { "cod", "e2e_exp", "bnsl", "loss_intermediate" }

local function load(path)
  local f = assert(io.open(path, "r"))
  local v = json.decode(f:read("a"))
  f:close()
  return v
end

-- Hindsight bounds of one set: best |error| of a single candidate, and of a convex combination.
local function oracle(errors)
  local best, lo, hi = math.huge, math.huge, -math.huge
  for _, e in ipairs(errors) do
    best = math.min(best, math.abs(e))
    lo, hi = math.min(lo, e), math.max(hi, e)
  end
  local hull = (lo <= 0 and hi >= 0) and 0 or math.min(math.abs(lo), math.abs(hi))
  return best, hull
end

local function hidden(scale, first, seeds)
  local synth = require("cod.synth")
  local per, order = {}, {}
  for seed = first, first + seeds - 1 do
    local _, t = synth.paper_like({ seed = seed, scale = scale, anchors = 2, target_factor = 5 })
    local target
    for j, role in ipairs(t.roles) do if role == "target" then target = j end end
    for _, name in ipairs(t.set_names) do
      local s = t.sets[name]
      local a = per[name]
      if not a then
        a = { items = s.items, hidden = 0, share = 0, sd = 0, n = 0 }
        per[name], order[#order + 1] = a, name
      end
      local var, share, count = 0, 0, 0
      for i = 1, s.items do
        local seen = false
        for j = 1, #t.models do
          if j ~= target and s.prob:get(i, j) >= 0.01 then seen = true end
        end
        local p = s.prob:get(i, target)
        var = var + p * (1 - p) / math.max(s.trials, 1)
        if not seen then count, share = count + 1, share + p end
      end
      a.n = a.n + 1
      a.hidden = a.hidden + count
      a.share = a.share + 100 * share / s.items
      a.sd = a.sd + 100 * math.sqrt(var) / s.items
    end
  end
  print(("paper setting, scale %g, seeds %d-%d"):format(scale, first, first + seeds - 1))
  for _, name in ipairs(order) do
    local a = per[name]
    print(("  %-14s items %5d  hidden %6.1f (%4.1f%%)  their share of the target's score %.3f pts  target sd %.2f pts")
      :format(name, a.items, a.hidden / a.n, 100 * a.hidden / a.n / a.items, a.share / a.n, a.sd / a.n))
  end
end

if arg[1] == "--hidden" then
  hidden(assert(tonumber(arg[2]), "SCALE"), assert(math.tointeger(tonumber(arg[3])), "FIRST_SEED"),
    assert(math.tointeger(tonumber(arg[4])), "SEEDS"))
  return
end

local records, rows = load(assert(arg[1], "RECORDS.json")), load(assert(arg[2], "ROWS.json"))
local setting = arg[3] or "paper"
local by_key = {}
for _, r in ipairs(records) do by_key[r.setting .. "/" .. r.seed .. "/" .. r.set] = r end

local kinds = { "headline", "best raw candidate", "best mix of raw candidates", "best corrected candidate" }
local total = {}
for _, k in ipairs(kinds) do total[k] = { sum = 0, max = 0, over = 0 } end
local blocks, block_order, sets, set_order = {}, {}, {}, {}
local n, signed, noise = 0, 0, 0
for _, w in ipairs(rows) do
  if w.setting == setting then
    local r = assert(by_key[w.setting .. "/" .. w.seed .. "/" .. w.set], "a row without its record")
    local raw, corrected = {}, {}
    for _, c in ipairs(r.candidates) do
      for _, name in ipairs(FOUR) do
        if c.recipe == name and c.prediction then
          raw[#raw + 1] = 100 * (c.prediction - r.actual)
          if w.predictions[name] then corrected[#corrected + 1] = 100 * (w.predictions[name] - r.actual) end
        end
      end
    end
    local best, hull = oracle(raw)
    local best_corrected = oracle(corrected)
    local e = 100 * (w.pred - r.actual)
    local v = { headline = math.abs(e), ["best raw candidate"] = best, ["best mix of raw candidates"] = hull,
      ["best corrected candidate"] = best_corrected }
    n, signed = n + 1, signed + e
    if r.expected then noise = noise + 100 * math.abs(r.actual - r.expected) end
    local key = w.seed - (w.seed - 101) % 3
    if not blocks[key] then
      blocks[key] = { sets = 0 }
      for _, k in ipairs(kinds) do blocks[key][k] = 0 end
      block_order[#block_order + 1] = key
    end
    local b = blocks[key]
    b.sets = b.sets + 1
    for _, k in ipairs(kinds) do
      local t = total[k]
      t.sum, t.max = t.sum + v[k], math.max(t.max, v[k])
      if v[k] > 1 then t.over = t.over + 1 end
      b[k] = math.max(b[k], v[k])
    end
    local s = sets[w.set]
    if not s then
      s = { n = 0, abs = 0, signed = 0, items = r.items }
      sets[w.set], set_order[#set_order + 1] = s, w.set
    end
    s.n, s.abs, s.signed = s.n + 1, s.abs + math.abs(e), s.signed + e
  end
end
assert(n > 0, "no rows of setting " .. setting)
table.sort(block_order)
local full = 0
for _, key in ipairs(block_order) do if blocks[key].sets == 24 then full = full + 1 end end
print(("%s: %d sets, %d full blocks of 24; mean signed headline error %+.2f; target's |actual - expected| %.2f")
  :format(setting, n, full, signed / n, noise / n))
print(("  %-28s %6s %6s %10s %18s"):format("per set", "mean", "max", "sets > 1", "blocks max > 1"))
for _, k in ipairs(kinds) do
  local over = 0
  for _, key in ipairs(block_order) do
    if blocks[key].sets == 24 and blocks[key][k] > 1 then over = over + 1 end
  end
  local t = total[k]
  print(("  %-28s %6.2f %6.2f %10d %15d/%d"):format(k, t.sum / n, t.max, t.over, over, full))
end
table.sort(set_order, function(a, b) return (sets[a].items or 0) < (sets[b].items or 0) end)
for _, name in ipairs(set_order) do
  local s = sets[name]
  print(("  %-14s items %5s  |FE| %.2f  signed %+.2f"):format(name, tostring(s.items or "?"), s.abs / s.n,
    s.signed / s.n))
end
