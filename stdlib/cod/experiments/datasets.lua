--- cod.experiments.datasets: the datasets a run covers: the synthetic ladder with known truth
--- (and two families), the bundled real data with their presets, model selection.
--- A part of cod.experiments (which see): this file adds its functions to the module table.

local errors = require("cod.errors")
local sys = require("cod.core.sys")

---@param M table  the cod.experiments module table
return function(M)
  local contains = M.contains  -- (cod.experiments.options)

  -- The model names of a dataset below `target` in compute, other than the target's size when
  -- `other_sizes`, without anchors.
  local function ladder_below(ds, target, other_sizes, anchors)
    local t = ds:model(target)
    local tc = ds:compute(target)
    local names = {}
    for _, m in ipairs(ds:models()) do
      if m.name ~= target and m.role ~= "anchor" and not contains(anchors, m.name) and m.compute < tc
          and not (other_sizes and m.size ~= nil and m.size == t.size) then
        names[#names + 1] = m.name
      end
    end
    return ds:order_by_compute(names)
  end

  --- The model choice of a dataset: {target, ladder, anchors} from the options and a preset.
  ---@param ds cod.Dataset
  ---@param o table
  ---@param preset? table
  ---@return {target: string, ladder: string[], anchors: string[]}
  function M.select(ds, o, preset)
    preset = preset or {}
    local target = o.target or preset.target
    local sel = ds:select({ target = target, ladder = o.ladder, anchors = o.anchors })
    if not sel.target then
      errors.user("no target: give --target MODEL (or a model with role 'target' in the models CSV)")
    end
    if not o.ladder and (o.other_sizes or preset.other_sizes) then
      sel.ladder = ladder_below(ds, sel.target, true, sel.anchors)
      if #sel.ladder < 2 then
        errors.user(("--other-sizes leaves %d ladder models below '%s'"):format(#sel.ladder, sel.target))
      end
    end
    return sel
  end

  --- A synthetic paper-like dataset with known truth (cod.synth.paper_like) from the options.
  ---@param o table
  ---@return cod.Dataset ds, cod.synth.Truth truth
  function M.synthetic(o)
    return require("cod.synth").paper_like({
      seed = o.seed, anchors = o.synthetic_anchors, target_factor = o.target_factor, scale = o.scale,
      trials = o.trials ~= 1 and o.trials or nil, single_answer = o.trials == 1 or nil,
    })
  end

  ---@class cod.experiments.Entry
  ---@field name string          "synthetic", a bundled name, or the --data folder
  ---@field label string         one line saying what the data and the model choice are
  ---@field ds cod.Dataset
  ---@field truth? cod.synth.Truth
  ---@field target string
  ---@field ladder string[]
  ---@field anchors string[]
  ---@field sets string[]

  local function describe(sel)
    local l = sel.ladder
    return ("target %s; ladder of %d models (%s .. %s); %d anchors"):format(sel.target, #l, l[1], l[#l],
      #sel.anchors)
  end

  --- An entry from a dataset and a model choice (extra fields are copied in; `note` ends the label).
  ---@param name string
  ---@param ds cod.Dataset
  ---@param sel {target: string, ladder: string[], anchors: string[]}
  ---@param o table
  ---@param extra? table
  ---@return cod.experiments.Entry
  function M.entry(name, ds, sel, o, extra)
    local sets = o.sets or ds:sets()
    local all = ds:sets()
    for _, s in ipairs(sets) do
      if not contains(all, s) then
        errors.user(("unknown evaluation set '%s' in %s%s (sets: %s)"):format(s, name, errors.did_you_mean(s, all),
          table.concat(all, ", ")))
      end
    end
    local e = { name = name, ds = ds, target = sel.target, ladder = sel.ladder, anchors = sel.anchors, sets = sets }
    for k, v in pairs(extra or {}) do e[k] = v end
    M.relabel(e)
    return e
  end

  --- Recompute entry.label after changing its target, ladder, anchors or note.
  ---@param e cod.experiments.Entry
  function M.relabel(e)
    e.label = ("%s: %s%s"):format(e.name, describe(e), e.note and (" — " .. e.note) or "")
  end

  --- Load one dataset by name ("synthetic" or a bundled folder name).
  ---@param name string
  ---@param o table
  ---@return cod.experiments.Entry
  function M.load(name, o)
    if name == "synthetic" then
      local ds, truth = M.synthetic(o)
      local sel = M.select(ds, o)
      return M.entry("synthetic", ds, sel, o, {
        truth = truth,
        note = ("cod.synth.paper_like seed %d, scale %g, %d trials, target at %gx the top of the ladder"):format(
          o.seed, o.scale, o.trials, o.target_factor),
      })
    end
    local preset = M.presets[name]
    local ds = require("cod.data").load(M.bundled_dir(name), { compute_unit = o.compute_unit })
    -- A preset's ladder rule applies only to its own target.
    local use = preset
    if o.target and preset and o.target ~= preset.target then use = nil end
    local sel = M.select(ds, o, use)
    return M.entry(name, ds, sel, o, { note = use and use.note or nil })
  end

  --- Two synthetic model families on the same items (Table 2). Family A is the paper_like
  --- ladder of M.synthetic(o) (models "A-1".."A-8", its sampled pass rates); family B
  --- ("B-1".."B-m" and "B-target") has its own compute grid and is `efficiency` times as
  --- compute-efficient: its true pass probability on an item is the item's own law (truth
  --- parameters alpha, beta, gamma, guess, cap, noise) at efficiency·C, with fresh noise draws,
  --- sampled binomially with o.trials trials from cod.core.random(seed). The target sits at
  --- o.target_factor × B's largest compute.
  ---@param o table  parsed options (seed, scale, trials, target_factor)
  ---@param b? {models?: integer, min_flops?: number, max_flops?: number, efficiency?: number}
  ---  defaults: 6 models from 3e18 to 1e21 FLOPs, efficiency 2
  ---@return cod.Dataset ds
  ---@return {a_ladder: string[], b_ladder: string[], target: string, expected: table<string, number>} info
  ---  expected[set] is B-target's expected full-set metric (mean true probability)
  function M.two_families(o, b)
    b = b or {}
    local n_b = b.models or 6
    local lo, hi = b.min_flops or 3e18, b.max_flops or 1e21
    local eff = b.efficiency or 2
    if math.type(n_b) ~= "integer" or n_b < 2 then errors.user(("family B needs >= 2 models, got %s"):format(n_b)) end
    if not (hi > lo and lo > 0) then errors.user(("family B needs 0 < min_flops < max_flops, got %g, %g"):format(lo, hi)) end
    if not (eff > 0) then errors.user(("family B's efficiency must be > 0, got %s"):format(tostring(eff))) end
    local ds_a, truth = M.synthetic(o)
    local unit = truth.compute_unit
    local item_probability = require("cod.core.synth").item_probability  -- the engine's item law
    local trials = o.trials
    local rng = require("cod.core.random").new(o.seed * 7919 + 17)
    -- Box–Muller from the seeded uniform stream.
    local function normal()
      local u1 = rng:uniform()
      while u1 <= 0 do u1 = rng:uniform() end
      return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * rng:uniform())
    end
    local models, a_ladder, b_ladder = {}, {}, {}
    local a_cols = {}
    for j, name in ipairs(truth.models) do
      if truth.roles[j] == "ladder" then
        local m = ds_a:model(name)
        local new = "A-" .. (#a_ladder + 1)
        a_ladder[#a_ladder + 1] = new
        a_cols[#a_cols + 1] = j
        models[#models + 1] = { name = new, params = m.params, tokens = m.tokens, compute_flops = m.compute_flops,
          family = "A", role = "ladder" }
      end
    end
    local b_compute = {}
    for k = 1, n_b do
      b_compute[k] = lo * (hi / lo) ^ ((k - 1) / (n_b - 1))
    end
    b_compute[n_b + 1] = hi * o.target_factor
    for k, C in ipairs(b_compute) do
      local params = math.sqrt(C / (6 * 20))
      local name = k <= n_b and ("B-" .. k) or "B-target"
      if k <= n_b then b_ladder[#b_ladder + 1] = name end
      models[#models + 1] = { name = name, params = params, tokens = 20 * params, compute_flops = C, family = "B",
        role = k <= n_b and "ladder" or "target" }
    end
    local names = {}
    for j, m in ipairs(models) do names[j] = m.name end
    local sets, expected = {}, {}
    for _, set in ipairs(truth.set_names) do
      local st = truth.sets[set]
      local passA = ds_a:pass(set)
      local pass, counts = {}, {}
      local sum_target = 0
      for i = 1, st.items do
        local row, crow = {}, {}
        for k, j in ipairs(a_cols) do
          row[k] = passA:get(i, j)
          crow[k] = trials
        end
        for k, C in ipairs(b_compute) do
          local p = 0
          if st.kinds[i] ~= "zero" then
            p = item_probability({ alpha = st.alpha[i], beta = st.beta[i], gamma = st.gamma[i], guess = st.guess[i],
              cap = st.cap[i] }, eff * C / unit)
            if st.noise[i] > 0 then p = p + st.noise[i] * normal() end
            p = math.min(1, math.max(0, p))
          end
          if k == #b_compute then sum_target = sum_target + p end
          row[#a_cols + k] = trials > 0 and rng:binomial(trials, p) / trials or p
          crow[#a_cols + k] = trials
        end
        pass[i] = row
        counts[i] = crow
      end
      expected[set] = sum_target / st.items
      sets[#sets + 1] = { name = set, items = ds_a:items(set), models = names, pass = pass,
        trials = trials > 0 and counts or nil }
    end
    local ds = require("cod.data").from_tables({ models = models, sets = sets, compute_unit = unit })
    return ds, { a_ladder = a_ladder, b_ladder = b_ladder, target = "B-target", expected = expected }
  end

  --- The datasets a run covers: --data/--items (one), else --datasets, else the script's defaults.
  ---@param o table
  ---@param how? {want?: fun(name: string): boolean|nil, string|nil, load?: table<string, fun(o: table): cod.experiments.Entry>}
  ---  want(name) returning false (and why) skips a bundled dataset; load[name](o) replaces M.load for it
  ---@return cod.experiments.Entry[]
  function M.datasets(o, how)
    if o.data or o.items or o.models or o.scores then
      local ds = require("cod.cli.common").load(o)
      local path = o.data and (o.data:gsub("/+$", "")) or o.items or o.scores
      local name = path:match("([^/]+)$") or path
      local preset = o.data and M.presets[name] or nil
      if preset and o.target and o.target ~= preset.target then preset = nil end
      local sel = M.select(ds, o, preset)
      return { M.entry(name, ds, sel, o, { note = preset and preset.note or nil }) }
    end
    local out = {}
    for _, name in ipairs(o.datasets or o.default_datasets or {}) do
      local ok, why = true, nil
      if how and how.want then ok, why = how.want(name) end
      if ok == false then
        M.note(o, "skipping %s: %s", name, why or "not applicable")
      else
        local t0 = sys.clock()
        local loader = how and how.load and how.load[name]
        out[#out + 1] = loader and loader(o) or M.load(name, o)
        M.note(o, "%s loaded in %.2f s", name, sys.clock() - t0)
      end
    end
    return out
  end

  --- The models of `entry` a set can use: ladder, anchors and target restricted to the set's
  --- models. Returns nil and a reason when the set lacks the target or has < 2 ladder models.
  ---@param entry cod.experiments.Entry
  ---@param set string
  ---@return table|nil sel, string|nil reason
  function M.set_selection(entry, set)
    local ds = entry.ds
    local in_set = {}
    for _, m in ipairs(ds:set_models(set)) do in_set[m] = true end
    local scores = ds:scores(set)
    local n_items = #ds:items(set)
    local has = function(m) return (n_items > 0 and in_set[m]) or scores[m] ~= nil end
    if not has(entry.target) then return nil, ("no results for the target '%s'"):format(entry.target) end
    local sel = { target = entry.target, ladder = {}, anchors = {} }
    for _, m in ipairs(entry.ladder) do
      if has(m) then sel.ladder[#sel.ladder + 1] = m end
    end
    for _, m in ipairs(entry.anchors) do
      if has(m) then sel.anchors[#sel.anchors + 1] = m end
    end
    if #sel.ladder < 2 then return nil, ("only %d ladder models have results"):format(#sel.ladder) end
    return sel
  end

  --- True when every ladder model of the entry has a loss (loss_intermediate applies).
  ---@param entry cod.experiments.Entry
  ---@return boolean
  function M.has_losses(entry)
    for _, m in ipairs(entry.ladder) do
      if entry.ds:model(m).loss == nil then return false end
    end
    return true
  end
end
