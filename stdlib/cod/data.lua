--- cod.data: datasets of evaluation sets (SPEC §0–§2, §12).
---
--- A dataset holds models (with params, tokens, compute, role, family, size, step, loss)
--- and evaluation sets, each an items × models pass-rate matrix kept in C++.
---
---   local data = require("cod.data")
---   local ds = data.load("data/bigbench-bigg")
---   for _, s in ipairs(data.summary(ds)) do print(s.name, s.items) end

local core = require("cod.core.data")

local M = {}

---@class cod.Dataset
---@field models fun(self): table[]                  every model: {name, params, tokens, compute_flops, compute, role, family, size, step, loss}
---@field model fun(self, name: string): table       one model's table
---@field sets fun(self): string[]                   evaluation set names, in file order
---@field items fun(self, set: string|integer): string[]
---@field set_models fun(self, set: string|integer): string[]   models with items in the set (columns of pass)
---@field pass fun(self, set: string|integer): cod.Matrix       items × set models
---@field trials fun(self, set: string|integer): cod.Matrix|nil trial counts, nil when unknown
---@field scores fun(self, set: string|integer): table<string, number>
---@field select fun(self, opts?: {target?: string, ladder?: string[], anchors?: string[]}): {ladder: string[], target?: string, anchors: string[]}
---@field features fun(self, set: string|integer, ladder: string[], opts?: {smooth?: integer}): cod.Matrix
---@field order_by_compute fun(self, names: string[]): string[]
---@field compute fun(self, model: string): number    compute in units of compute_unit
---@field compute_unit fun(self): number
---@field metric fun(self, set: string|integer, model: string, items?: integer[]): number|nil
---@field full_metric fun(self, set: string|integer, model: string): number|nil
---@field ignored_columns fun(self): string[]
---@field feature fun(self, set: string|integer, name: string): cod.Matrix   a per-item feature ("metric" = pass)
---@field feature_names fun(self, set: string|integer): string[]          "metric" and the lm-eval features the set has
---@field sources fun(self): {path: string, set: string, model: string, date?: string, samples: integer, used: boolean}[]

local function io_core()
  return require("cod.core.io")
end

--- Read a dataset folder: models.csv (required), items.csv and/or scores.csv.
---@param dir string
---@param opts? {compute_unit?: number}   compute unit in FLOPs (default 1e18)
---@return cod.Dataset
function M.load(dir, opts)
  require("cod.check").arg("load", 1, dir, "string")
  local ds = io_core().load_dir(dir, opts)
  return ds
end

--- Read a dataset from named files.
---@param opts {models: string, items?: string, scores?: string, lmeval?: string, metric?: string, filter?: string, tasks?: string[], responses?: boolean, strip?: boolean, ignore_case?: boolean, ignore_punctuation?: boolean, runs?: "average"|"newest", compute_unit?: number}
---@return cod.Dataset
function M.read(opts)
  return io_core().read(opts)
end

--- Build a dataset from Lua tables (validated as a file would be).
---@param t {models: table[], sets: table[], compute_unit?: number}
---@return cod.Dataset
function M.from_tables(t)
  return core.from_tables(t)
end

--- 1-based rows whose features are all zero (zero-performance items, SPEC §2).
---@param X cod.Matrix|number[][]
---@return integer[]
function M.zero_items(X)
  return core.zero_items(X)
end

local function has(list, v)
  for _, x in ipairs(list) do
    if x == v then return true end
  end
  return false
end

--- Check that every set with items among `sets` has the per-item feature `feature` (nil: the
--- metric); a missing one is a user's error naming the set and the features it has.
---@param ds cod.Dataset
---@param sets string[]
---@param feature? string
function M.check_feature(ds, sets, feature)
  if feature == nil or feature == "metric" then return end
  for _, set in ipairs(sets) do
    if #ds:items(set) > 0 then
      local names = ds:feature_names(set)
      if not has(names, feature) then
        local text = require("cod.text")
        require("cod.errors").user(("--feature %s: set '%s' has no such per-item feature (it has: %s; choice_prob " ..
          "needs lm-eval multiple-choice logs, answer_prob lm-eval log-likelihoods)"):format(text.excerpt(feature),
          text.excerpt(set), table.concat(names, ", ")))
      end
    end
  end
end

--- The lm-eval files behind the dataset, and the (model, task) pairs whose files were merged
--- (averaged) or skipped (older runs): {files = {...}, merged = {{set, model, files, skipped}}}.
---@param ds cod.Dataset
---@return table|nil  nil for CSV input
function M.sources(ds)
  local files = ds:sources()
  if #files == 0 then return nil end
  local groups, order = {}, {}
  for _, f in ipairs(files) do
    local key = f.model .. "\0" .. f.set
    local g = groups[key]
    if not g then
      g = { set = f.set, model = f.model, files = {}, skipped = {} }
      groups[key] = g
      order[#order + 1] = g
    end
    if f.used then g.files[#g.files + 1] = f.path else g.skipped[#g.skipped + 1] = f.path end
  end
  local merged = {}
  for _, g in ipairs(order) do
    if #g.files > 1 or #g.skipped > 0 then merged[#merged + 1] = g end
  end
  return { files = files, merged = merged }
end

--- Per-set summary: name, item count, models (ordered by compute) and each model's mean pass rate.
---@param ds cod.Dataset
---@return {name: string, items: integer, models: string[], mean: number[], trials: boolean, scores: table<string, number>}[]
function M.summary(ds)
  local out = {}
  for _, name in ipairs(ds:sets()) do
    local models = ds:order_by_compute(ds:set_models(name))
    local mean = {}
    for i, m in ipairs(models) do mean[i] = ds:metric(name, m) end
    out[#out + 1] = {
      name = name,
      items = #ds:items(name),
      models = models,
      mean = mean,
      trials = ds:trials(name) ~= nil,
      scores = ds:scores(name),
    }
  end
  return out
end

local function csv_field(v)
  return require("cod.files").csv_field(v, true)
end

--- Write a dataset as a folder that data.load reads back: models.csv, items.csv (with
--- n_samples/n_correct when trial counts are known) and scores.csv (when any score exists).
---@param ds cod.Dataset
---@param dir string an existing folder
function M.write(ds, dir)
  do
    local f <close> = require("cod.files").open(dir .. "/models.csv")  -- every write checked
    f:write("model,params,tokens,compute_flops,role,family,size,step,loss\n")
    for _, m in ipairs(ds:models()) do
      f:write(table.concat({ csv_field(m.name), csv_field(m.params), csv_field(m.tokens), csv_field(m.compute_flops),
        csv_field(m.role), csv_field(m.family), csv_field(m.size), csv_field(m.step), csv_field(m.loss) }, ","), "\n")
    end
    f:close()
  end
  local any_items, any_scores = false, false
  for _, set in ipairs(ds:sets()) do
    if #ds:items(set) > 0 then any_items = true end
    if next(ds:scores(set)) then any_scores = true end
  end
  if any_items then
    local f <close> = require("cod.files").open(dir .. "/items.csv")  -- every write checked
    f:write("benchmark,item_id,model,passrate,n_samples,n_correct\n")
    for _, set in ipairs(ds:sets()) do
      local items, models, P, N = ds:items(set), ds:set_models(set), ds:pass(set), ds:trials(set)
      local sname = csv_field(set)
      for j, m in ipairs(models) do
        local mname = csv_field(m)
        local col = P:col(j)
        local ncol = N and N:col(j)
        for i, id in ipairs(items) do
          local p = col[i]
          local n, k = "", ""
          if ncol then
            local trials = math.floor(ncol[i] + 0.5)
            n = tostring(trials)
            k = tostring(math.floor(p * trials + 0.5))
          end
          f:write(sname, ",", csv_field(id), ",", mname, ",", csv_field(p), ",", n, ",", k, "\n")
        end
      end
    end
    f:close()
  end
  if any_scores then
    local f <close> = require("cod.files").open(dir .. "/scores.csv")  -- every write checked
    f:write("benchmark,model,score\n")
    for _, set in ipairs(ds:sets()) do
      local scores = ds:scores(set)
      local names = {}
      for m in pairs(scores) do names[#names + 1] = m end
      table.sort(names)
      for _, m in ipairs(names) do f:write(csv_field(set), ",", csv_field(m), ",", csv_field(scores[m]), "\n") end
    end
    f:close()
  end
end

--- Print the per-set summary as an aligned table.
---@param ds cod.Dataset
---@param out? file* default io.stdout
function M.print_summary(ds, out)
  out = out or io.stdout
  for _, s in ipairs(M.summary(ds)) do
    out:write(("%s: %d items, %d models%s\n"):format(s.name, s.items, #s.models,
      s.trials and ", trial counts known" or ""))
    for i, m in ipairs(s.models) do
      local score = s.scores[m]
      out:write(("  %-48s compute %10.4g  mean pass rate %.4f%s\n"):format(m, ds:compute(m), s.mean[i],
        score and ("  score %.4f"):format(score) or ""))
    end
  end
end

return M
