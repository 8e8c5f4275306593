--- cod.backtest: on any ladder, predict each chosen model from the models below it with
--- every recipe side by side, and tabulate the errors (SPEC §11; the paper's Table 1 layout).
---
---   local backtest = require("cod.backtest")
---   local bt = backtest.run(ds, { top = 2, recipes = { "cod", "e2e_exp" } })
---   print(backtest.table(bt))

local recipes = require("cod.recipes")
local check = require("cod.check")
local parallel = require("cod.parallel")
local predict = require("cod.predict")

local M = {}

--- Recipes compared by default.
M.default_recipes = { "cod", "cod_paper", "cod_no_mapping", "e2e_exp", "e2e_passrate", "bnsl" }

local function has_losses(ds)
  for _, m in ipairs(ds:models()) do
    if m.loss == nil and m.role ~= "anchor" then return false end
  end
  return true
end

--- The models to predict: `target`, or the `top` largest non-anchor models by compute.
local function targets(ds, opts)
  if opts.target then return { opts.target } end
  local names = {}
  for _, m in ipairs(ds:models()) do
    if m.role ~= "anchor" then names[#names + 1] = m.name end
  end
  local ordered = ds:order_by_compute(names)
  local top = opts.top or 1
  local out = {}
  for i = #ordered, math.max(1, #ordered - top + 1), -1 do out[#out + 1] = ordered[i] end
  return out
end

---@param ds cod.Dataset
---@param opts {target?: string, top?: integer, recipes?: string[], sets?: string[], anchors?: string[], threads?: integer, feature?: string}
---@return table
function M.run(ds, opts)
  check.arg("run", 1, ds, "userdata")
  opts = check.options("run", opts, { target = "string", top = "integer", recipes = "table", sets = "table",
    anchors = "table", threads = "integer", feature = "string" }, 2)
  check.integer("run", "top", opts.top, { min = 1, optional = true })
  local names = opts.recipes
  if not names then
    names = {}
    for _, n in ipairs(M.default_recipes) do names[#names + 1] = n end
    if has_losses(ds) then names[#names + 1] = "loss_intermediate" end
  end
  local rs = {}
  for i, n in ipairs(names) do rs[i] = recipes.get(n) end
  local all_sets = ds:sets()
  local sets = opts.sets or all_sets
  require("cod.data").check_feature(ds, sets, opts.feature)
  local out = { tool = "codlua", version = require("cod").version, recipes = {}, targets = {},
    feature = opts.feature or "metric" }
  for i, r in ipairs(rs) do out.recipes[i] = r.name end
  -- Every (target, set) pair is one independent task.
  local tasks = {}
  for _, t in ipairs(targets(ds, opts)) do
    local sel = ds:select({ target = t, anchors = opts.anchors })
    local entry = { target = t, ladder = sel.ladder, anchors = sel.anchors, sets = {} }
    out.targets[#out.targets + 1] = entry
    for _, set in ipairs(sets) do
      tasks[#tasks + 1] = { entry = #out.targets, sel = sel, set = set }
    end
  end
  local rows = parallel.map(tasks, function(task) return M.row(ds, task.set, task.sel, rs, opts.feature) end,
    { threads = opts.threads })
  for k, task in ipairs(tasks) do
    local entry = out.targets[task.entry]
    if rows[k] then entry.sets[#entry.sets + 1] = rows[k] end
  end
  for _, entry in ipairs(out.targets) do entry.summary = M.summary(entry, out.recipes) end
  return out
end

--- One set's row of the backtest of `sel.target`: every recipe's result; false when the set
--- has no result for the target. `feature`: the per-item feature (SPEC §14; nil = the metric).
function M.row(ds, set, sel, rs, feature)
  local t = sel.target
  local n_items = #ds:items(set)
  local has_target = false
  for _, m in ipairs(ds:set_models(set)) do
    if m == t then has_target = true end
  end
  local scores = ds:scores(set)
  if scores[t] then has_target = true end
  if not has_target then return false end
  local row = { name = set, items = n_items, results = {} }
  local job
  local job_ok, job_err = pcall(function()
    if n_items > 0 then
      -- Sets may cover different models: the set's ladder is the ladder models it has.
      local set_sel = predict.set_selection(ds, set, sel)
      local base = predict.base(ds, set, set_sel, { feature = feature })
      job = predict.job(ds, set, set_sel, { base = base })
    else
      -- Scores only (no items): only end-to-end recipes apply.
      job = M.score_job(ds, set, sel)
    end
  end)
  row.actual = job_ok and job.actual or scores[t]
  for _, r in ipairs(rs) do
    local res
    if not job_ok then
      res = { ok = false, reason = tostring(job_err) }
    elseif n_items == 0 and r.kind ~= "baseline" then
      res = { ok = false, reason = "the set has no items (scores only)" }
    else
      local ok, got = pcall(r.run, r, job)
      if ok then
        res = got
      else
        res = { ok = false, reason = tostring(got) }
      end
    end
    row.results[r.name] = {
      ok = res.ok and res.prediction ~= nil,
      reason = res.reason,
      prediction = res.prediction,
      subset_prediction = res.subset_prediction,
      fe = res.fe,
      ee = res.ee,
      fallback = res.fallback and res.fallback.recipe or nil,
    }
  end
  return row
end

--- A job for a scores-only set (one implementation: cod.predict's).
M.score_job = predict.score_job

--- Mean and Max FE (and EE) per recipe over one target's sets.
function M.summary(entry, names)
  local s = {}
  for _, n in ipairs(names) do
    local fe, ee, failed = {}, {}, 0
    for _, row in ipairs(entry.sets) do
      local r = row.results[n]
      if r and r.fe then fe[#fe + 1] = r.fe else failed = failed + 1 end
      if r and r.ee then ee[#ee + 1] = r.ee end
    end
    local stats = require("cod.files").stats
    s[n] = { fe = stats(fe), ee = stats(ee), failed = failed }
  end
  return s
end

--- The Table 1 layout: sets as rows, recipes as columns (FE, points), Mean and Max rows.
function M.table(bt)
  local L = {}
  for _, e in ipairs(bt.targets) do
    L[#L + 1] = ("target %s (ladder of %d models: %s ... %s)%s"):format(e.target, #e.ladder, e.ladder[1] or "-",
      e.ladder[#e.ladder] or "-", (bt.feature and bt.feature ~= "metric") and (", feature " .. bt.feature) or "")
    local head = ("%-28s %8s"):format("set (FE, points)", "actual")
    for _, n in ipairs(bt.recipes) do head = head .. (" %14s"):format(n:sub(1, 14)) end
    L[#L + 1] = head
    L[#L + 1] = ("-"):rep(#head)
    for _, row in ipairs(e.sets) do
      local name = #row.name > 28 and (row.name:sub(1, 25) .. "...") or row.name
      local line = ("%-28s %8s"):format(name, row.actual and ("%.4f"):format(row.actual) or "-")
      for _, n in ipairs(bt.recipes) do
        local r = row.results[n]
        local cell = r.fe and ("%.2f"):format(r.fe) or "fail"
        if r.fallback then cell = cell .. "*" end
        line = line .. (" %14s"):format(cell)
      end
      L[#L + 1] = line
    end
    L[#L + 1] = ("-"):rep(#head)
    for _, which in ipairs({ "mean", "max" }) do
      local line = ("%-28s %8s"):format(which == "mean" and "Mean" or "Max", "")
      for _, n in ipairs(bt.recipes) do
        local s = e.summary[n]
        line = line .. (" %14s"):format(s.fe and ("%.2f"):format(s.fe[which]) or "-")
      end
      L[#L + 1] = line
    end
    L[#L + 1] = ""
  end
  L[#L + 1] = "* the recipe fell back to its fallback (no cluster extrapolated)"
  return table.concat(L, "\n") .. "\n"
end

--- Write backtest.json and backtest.csv into `out` (atomically).
function M.write(bt, out)
  local json = require("cod.json")
  local files = require("cod.files")
  files.atomic_dir(out, function(tmp)
    json.write_file(tmp .. "/backtest.json", bt)
    local rows = {}
    for _, e in ipairs(bt.targets) do
      for _, row in ipairs(e.sets) do
        for _, n in ipairs(bt.recipes) do
          local r = row.results[n]
          rows[#rows + 1] = { target = e.target, set = row.name, recipe = n, prediction = r.prediction,
            subset_prediction = r.subset_prediction, actual = row.actual, fe = r.fe, ee = r.ee, ok = r.ok,
            fallback = r.fallback, reason = r.reason }
        end
      end
    end
    files.write_csv(tmp .. "/backtest.csv", { "target", "set", "recipe", "prediction", "subset_prediction", "actual",
      "fe", "ee", "ok", "fallback", "reason" }, rows)
  end)
end

return M
