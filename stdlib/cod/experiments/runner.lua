--- cod.experiments.runner: running recipes set by set, the cells of a table, means and
--- statistics, and the variants_script skeleton.
--- A part of cod.experiments (which see): this file adds its functions to the module table.

local sys = require("cod.core.sys")

---@param M table  the cod.experiments module table
return function(M)
  -- ------------------------------------------------------------------ running recipes

  ---@class cod.experiments.Run
  ---@field key string                     column key
  ---@field recipe string|cod.Recipe       a recipe name, file or object
  ---@field fallback? boolean              keep the recipe's fallback (default false: a variant that fails shows as failed)
  ---@field transfer_ladder? string[]      job.transfer_ladder for recipe 'transfer'

  ---@class cod.experiments.Cell
  ---@field ok boolean
  ---@field prediction? number
  ---@field subset_prediction? number
  ---@field fe? number        final error, points
  ---@field ee? number        extrapolation error, points
  ---@field tr? number        predictable ratio, percent
  ---@field iad? number
  ---@field outlier_rate? number
  ---@field clusters? integer
  ---@field extrapolatable? integer
  ---@field fallback? string  the fallback recipe that made the prediction
  ---@field reason? string

  local function cell_of(res)
    local c = {
      ok = res.ok and res.prediction ~= nil,
      prediction = res.prediction,
      subset_prediction = res.subset_prediction,
      fe = res.fe,
      ee = res.ee,
      fallback = res.fallback and res.fallback.recipe or nil,
      reason = res.reason or (res.fallback and res.fallback.reason) or nil,
    }
    -- With a fallback, the cluster facts are the failed primary recipe's (its TR is 0).
    local src = res.primary or res
    c.tr = src.predictable_ratio and 100 * src.predictable_ratio or nil
    if src.clustering then
      c.iad = src.clustering.iad
      c.outlier_rate = src.clustering.outlier_rate
    end
    if src.clusters then
      c.clusters = #src.clusters
      local n = 0
      for _, cl in ipairs(src.clusters) do
        if cl.extrapolatable then n = n + 1 end
      end
      c.extrapolatable = n
    end
    return c
  end

  ---@class cod.experiments.Row
  ---@field set string
  ---@field items integer
  ---@field actual? number
  ---@field skipped? string
  ---@field results table<string, cod.experiments.Cell>

  --- Run every recipe of `runs` on every set of `entry` (one job per set, shared by the recipes).
  --- Sets without the target are skipped (row.skipped says why); recipes that raise give a
  --- failed cell with the message. Scores-only sets run only baseline recipes.
  ---@param entry cod.experiments.Entry
  ---@param runs cod.experiments.Run[]
  ---@param o? table  options (for progress notes)
  ---@return cod.experiments.Row[]
  function M.run(entry, runs, o)
    local predict = require("cod.predict")
    local recipes = require("cod.recipes")
    local rs = {}
    for i, r in ipairs(runs) do
      local rec = recipes.get(r.recipe)
      if not r.fallback and rec.fallback then rec = rec:with({ fallback = false }) end
      rs[i] = rec
    end
    local rows = {}
    local t0 = sys.clock()
    for _, set in ipairs(entry.sets) do
      local row = { set = set, items = #entry.ds:items(set), results = {} }
      local sel, why = M.set_selection(entry, set)
      if not sel then
        row.skipped = why
      else
        local job
        if row.items > 0 then
          local base = predict.base(entry.ds, set, sel, {})
          job = predict.job(entry.ds, set, sel, { base = base })
        else
          job = require("cod.backtest").score_job(entry.ds, set, sel)
        end
        row.actual = job.actual
        for i, r in ipairs(runs) do
          local rec = rs[i]
          if row.items == 0 and rec.kind ~= "baseline" then
            row.results[r.key] = { ok = false, reason = "the set has no items (scores only)", not_applicable = true }
          else
            job.transfer_ladder = r.transfer_ladder
            local ok, res = pcall(rec.run, rec, job)
            job.transfer_ladder = nil
            row.results[r.key] = ok and cell_of(res) or { ok = false, reason = tostring(res) }
          end
        end
      end
      rows[#rows + 1] = row
    end
    if o then M.note(o, "%s: %d sets x %d recipes in %.2f s", entry.name, #rows, #runs, sys.clock() - t0) end
    return rows
  end

  --- Mean, max and count of the finite numbers among `values` (nil and NaN skipped).
  ---@param values (number|nil)[]
  ---@param n? integer  length of `values` when it has holes
  ---@return {mean: number, max: number, n: integer}|nil
  function M.stats(values, n)
    local sum, max, k = 0, -math.huge, 0
    for i = 1, n or #values do
      local v = values[i]
      if type(v) == "number" and v == v then
        sum = sum + v
        k = k + 1
        if v > max then max = v end
      end
    end
    if k == 0 then return nil end
    return { mean = sum / k, max = max, n = k }
  end

  --- One field of one run over the rows that were not skipped: {values, n (sets), ok (predictions)}.
  ---@param rows cod.experiments.Row[]
  ---@param key string
  ---@param field string
  ---@return (number|nil)[] values, integer n, integer predicted
  function M.column(rows, key, field)
    local vals, n, ok = {}, 0, 0
    for _, row in ipairs(rows) do
      local c = not row.skipped and row.results[key] or nil
      if c and not c.not_applicable then
        n = n + 1
        vals[n] = c[field]
        if c.ok then ok = ok + 1 end
      end
    end
    return vals, n, ok
  end

  --- Means over sets of one run (the rows of Tables 3, 4 and A1).
  ---@param rows cod.experiments.Row[]
  ---@param key string
  ---@return {ee?: number, fe?: number, tr?: number, iad?: number, outlier_rate?: number, sets: integer, ok: integer}
  function M.means(rows, key)
    local out = {}
    local n, ok
    for _, f in ipairs({ "ee", "fe", "tr", "iad", "outlier_rate" }) do
      local vals, k, good = M.column(rows, key, f)
      n, ok = k, good
      local s = M.stats(vals, k)
      out[f] = s and s.mean or nil
    end
    out.sets, out.ok = n or 0, ok or 0
    return out
  end

  --- The whole of a script that compares variants of the COD pipeline side by side
  --- (tables 3, 4, A1 and A3): the common options plus --fallback, the datasets with items,
  --- one run per variant, a table per dataset (print_variants unless `show`), and the CSV.
  ---
  ---   E.variants_script({ name = "table4", title = "Table 4 (fitting formulas)",
  ---     datasets = { "synthetic", "pythia-arith" },
  ---     variants = { { key = "cod", label = "cod" }, { key = "cod_f1", label = "f1" } },
  ---     fields = { { field = "ee", head = "EE", fmt = "%.2f" } },
  ---     csv_header = { "dataset", "variant", "recipe", "ee", "sets", "predicted" } }, arg)
  ---@param t {name: string, title?: string, datasets: string[], options?: table[], variants: table[]|fun(o: table): table[], fields?: table[], csv_header: string[], want?: fun(name: string, o: table): boolean, string|nil, prepare?: fun(o: table), check?: fun(entry: cod.experiments.Entry, o: table), show?: fun(entry: cod.experiments.Entry, rows: table[], variants: table[], o: table): table[]}
  ---  variants: {key, label, text?, recipe?} (recipe: a name or object, default key);
  ---  want(name, o) may skip a bundled dataset (false, why); prepare(o) runs first;
  ---  check(entry, o) may reject a dataset (a user error); show replaces print_variants
  ---  and returns the CSV rows
  ---@param argv string[]
  function M.variants_script(t, argv)
    local options = {}
    for _, x in ipairs(t.options or {}) do options[#options + 1] = x end
    options[#options + 1] = { "fallback", nil,
      "let a recipe fall back to e2e_exp when no cluster extrapolates (default: 'fail')" }
    local o = M.parse(M.spec({ name = t.name, datasets = t.datasets, options = options }), argv)
    M.main(o, function()
      if t.prepare then t.prepare(o) end
      local variants = type(t.variants) == "function" and t.variants(o) or t.variants
      local csv = {}
      local entries = M.datasets(o, { want = function(name)
        if t.want then
          local ok, why = t.want(name, o)
          if ok == false then return false, why end
        end
        if name == "olmo2-ladder" then return false, "scores only: no items to cluster" end
        return true
      end })
      for _, entry in ipairs(entries) do
        if t.check then t.check(entry, o) end
        local runs = {}
        for i, v in ipairs(variants) do runs[i] = { key = v.key, recipe = v.recipe or v.key, fallback = o.fallback } end
        local rows = M.run(entry, runs, o)
        local part = t.show and t.show(entry, rows, variants, o)
          or M.print_variants(t.title, entry, rows, variants, t.fields)
        for _, r in ipairs(part) do csv[#csv + 1] = r end
      end
      local path = M.csv_path(o)
      M.write_csv(path, t.csv_header, csv)
      M.note(o, "wrote %s (%d rows)", path, #csv)
    end)
  end
end
