--- cod.report: a prediction report as files (SPEC §8): report.json, report.md, CSV tables
--- and plots. Everything is written to a temporary folder that is renamed to `out` at the
--- end, so a failed run never leaves a partial report.
---
---   local report = require("cod.report")
---   report.write(result_of_predict_run, "out/")
---   print(report.table(result_of_predict_run))

local json = require("cod.json")
local sys = require("cod.core.sys")
local files = require("cod.files")
local text = require("cod.text")

local M = {}

-- How the recommendation is shown (cod.report_candidates): where a headline came from, the
-- candidates side by side, the opening paragraph, the candidates' curves.
local shown = require("cod.report_candidates")
M.source = shown.source
M.candidates_table = shown.candidates_table
M.trust_paragraph = shown.trust_paragraph
M.plot_candidates = shown.plot_candidates
M.candidates_markdown = shown.candidates_markdown

-- The diagnostic plots (cod.report_plots).
local plots_of = require("cod.report_plots")
local plot = require("cod.plot")
M.plot_clusters = plots_of.plot_clusters
M.plot_mapping = plots_of.plot_mapping
M.plot_predicted_vs_actual = plots_of.plot_predicted_vs_actual

local function num(v, fmt)
  if v == nil or v ~= v then return "" end
  return (fmt or "%.4f"):format(v)
end

local function pct(v)
  if v == nil or v ~= v then return "-" end
  return ("%.2f"):format(v)
end

-- ------------------------------------------------------------------ JSON

local function clean(v, seen)
  -- Plain data only: drop internal fields (leading "_") and userdata/functions.
  local t = type(v)
  if t == "table" then
    if seen[v] then return nil end
    seen[v] = true
    local mt = getmetatable(v)
    local out = (mt and mt.__jsontype) and json.object() or {}
    for k, x in pairs(v) do
      if not (type(k) == "string" and k:sub(1, 1) == "_") then out[k] = clean(x, seen) end
    end
    seen[v] = nil
    return out
  elseif t == "function" or t == "userdata" or t == "thread" then
    return nil
  end
  return v
end

--- The JSON-ready form of a report (SPEC §8; schema in docs/report.md).
function M.to_json(report)
  local r = clean(report, {})
  for i, s in ipairs(r.sets or {}) do
    s.warnings = s.warnings or {}
    if s.recommendation and s.recommendation.weights then
      setmetatable(s.recommendation.weights, getmetatable(json.object()))
    end
    if s.clusters then
      for _, c in ipairs(s.clusters) do
        if c.params then setmetatable(c.params, getmetatable(json.object())) end
      end
    end
    r.sets[i] = s
  end
  if r.candidate_weights then setmetatable(r.candidate_weights, getmetatable(json.object())) end
  return r
end

-- ------------------------------------------------------------------ results

--- The result table of SPEC §8 for one set from a recipe's finished state (what
--- Recipe:run returns, and what report.json holds per set).
---@param job cod.Job
---@param st cod.State
---@param recipe cod.Recipe
---@return table
function M.summarise_set(job, st, recipe)
  local cluster = require("cod.cluster")
  local r = {
    name = job.set,
    recipe = recipe.name,
    ok = st.failed == nil,
    reason = st.failed,
    target = job.target,
    target_compute = job.target_C,
    items = job.items,
    prediction = st.prediction,
    subset_prediction = st.subset_prediction,
  }
  if st.subset then
    r.predictable_ratio = #st.subset / job.items
    r.subset_size = #st.subset
  else
    r.predictable_ratio = (st.failed == nil) and 1 or nil
  end
  if st.zero then r.zero_items = #st.zero end
  if st.labels then
    local clustered = 0
    for _, l in ipairs(st.labels) do
      if l ~= -1 then clustered = clustered + 1 end
    end
    r.clustering = {
      method = st.cluster_method,
      clustered = clustered,
      outlier_rate = 100 * (job.items - clustered) / job.items,
      iad = cluster.iad(job.X, st.labels),
      facts = st.cluster_facts and cluster.facts and cluster.facts(st.cluster_facts) or nil,
      mode = st.cluster_mode and st.cluster_mode.mode,
      mode_reason = st.cluster_mode and st.cluster_mode.reason,
      distinct_rows = st.cluster_mode and st.cluster_mode.distinct_rows,
      large_set_threshold = st.cluster_mode and st.cluster_mode.threshold,
    }
  end
  if st.clusters then
    r.form = st.form
    r.rule = st.rule
    local cs = {}
    for k, c in ipairs(st.clusters) do
      cs[k] = {
        label = c.label,
        size = c.size,
        center = c.center,
        observed = c.y,
        params = c.fit.ok and c.fit.params or nil,
        sse = c.fit.ok and c.fit.sse or nil,
        r2 = c.fit.ok and c.fit.r2 or nil,
        converged = c.fit.converged,
        extrapolatable = c.extrapolatable or false,
        rejected_by = c.rejected_by and (c.rejected_by.rule .. ": " .. c.rejected_by.clause) or nil,
        prediction = c.prediction,
      }
    end
    r.clusters = cs
  end
  if st.mapping then
    local m = st.mapping
    r.mapping = {
      method = m.method,
      lambda = m.lambda,
      rmse = m.rmse,
      monotone_forced = m.monotone_forced,
      interpolation_missed = m.interpolation_missed,
      points = st.mapping_points,
    }
  end
  if st.e2e_fit then
    r.fit = { form = st.e2e_fit.form_name or st.e2e_fit.form, params = st.e2e_fit.params, sse = st.e2e_fit.sse,
      r2 = st.e2e_fit.r2, observed = st.e2e_y }
  end
  if st.predicted_loss then r.predicted_loss = st.predicted_loss end
  -- Truth, when the target's results are in the data.
  if job.target and job.col[job.target] and job.actual then
    r.actual = job.actual
    if st.subset and #st.subset > 0 then
      r.actual_subset = job.P:col_means(st.subset)[job.col[job.target]]
    end
    if r.prediction then r.fe = math.abs(r.prediction - r.actual) * 100 end
    if r.subset_prediction and r.actual_subset then
      r.ee = math.abs(r.subset_prediction - r.actual_subset) * 100
    end
  elseif job.actual then
    r.actual = job.actual
    if r.prediction then r.fe = math.abs(r.prediction - r.actual) * 100 end
  end
  r._state = st
  r._item_ids = job.item_ids
  return r
end

--- Mean and Max FE and EE over a report's sets (the paper's Table 1 layout): sets
--- report.summary and returns it.
function M.summarise(report)
  local fe, ee = {}, {}
  for _, s in ipairs(report.sets) do
    if s.fe then fe[#fe + 1] = s.fe end
    if s.ee then ee[#ee + 1] = s.ee end
  end
  report.summary = { fe = files.stats(fe), ee = files.stats(ee) }
  return report.summary
end


-- ------------------------------------------------------------------ console table

--- The per-set table printed by `codlua predict` (Mean/Max rows when truth is known).
function M.table(report)
  local lines = {}
  local has_truth, has_interval = false, false
  for _, s in ipairs(report.sets) do
    if s.actual then has_truth = true end
    if s.interval then has_interval = true end
  end
  local head = ("%-28s %10s"):format("set", "prediction")
  if has_interval then head = head .. ("  %-17s"):format("interval") end
  head = head .. ("%8s %8s"):format("subset", "TR")
  if has_truth then head = head .. ("%9s %9s %7s %7s"):format("actual", "act.sub", "FE", "EE") end
  head = head .. "  from"
  lines[#lines + 1] = head
  lines[#lines + 1] = ("-"):rep(#head)
  for _, s in ipairs(report.sets) do
    local name = text.printable(s.name)
    if #name > 28 then name = name:sub(1, 25) .. "..." end
    local row = ("%-28s %10s"):format(name, s.prediction and num(s.prediction) or "none")
    if has_interval then
      row = row .. ("  %-17s"):format(s.interval and ("[%.3f, %.3f]"):format(s.interval[1], s.interval[2]) or "-")
    end
    row = row .. ("%8s %8s"):format(num(s.subset_prediction, "%.3f"),
      s.predictable_ratio and ("%.1f%%"):format(100 * s.predictable_ratio) or "-")
    if has_truth then
      row = row .. ("%9s %9s %7s %7s"):format(num(s.actual), num(s.actual_subset), pct(s.fe), pct(s.ee))
    end
    row = row .. "  " .. M.source(s)
    if s.fallback then row = row .. " (fallback: " .. s.fallback.recipe .. ")" end
    lines[#lines + 1] = row
  end
  local sm = report.summary
  if sm and sm.fe then
    lines[#lines + 1] = ("-"):rep(#head)
    local pad = #head - 22
    local function label(w) return w .. (" "):rep(math.max(0, pad - #w)) end
    lines[#lines + 1] = ("%s %7s %7s"):format(label("Mean"), pct(sm.fe.mean), sm.ee and pct(sm.ee.mean) or "-")
    lines[#lines + 1] = ("%s %7s %7s"):format(label("Max"), pct(sm.fe.max), sm.ee and pct(sm.ee.max) or "-")
  end
  return table.concat(lines, "\n") .. "\n"
end

--- Every warning as "WARNING [set]: text" lines (a run-wide warning as "WARNING: text").
function M.warning_lines(report)
  local out = {}
  for _, w in ipairs(report.warnings or {}) do out[#out + 1] = "WARNING: " .. text.printable(w) end
  for _, s in ipairs(report.sets) do
    for _, w in ipairs(s.warnings or {}) do
      out[#out + 1] = ("WARNING [%s]: %s"):format(text.excerpt(s.name), text.printable(w))
    end
  end
  return out
end

--- Lines naming the lm-eval files averaged together or skipped for one model and task
--- (report.sources.merged; empty for CSV input or when every pair has one file). Names and
--- paths pass through `show` (default cod.text.printable; report.md uses cod.text.markdown).
---@param report table
---@param show? fun(s: string): string
---@return string[]
function M.source_lines(report, show)
  show = show or require("cod.text").printable
  local function list(paths)
    local shown = {}
    for i, p in ipairs(paths) do shown[i] = show(p) end
    return table.concat(shown, ", ")
  end
  local out = {}
  for _, g in ipairs(report.sources and report.sources.merged or {}) do
    local line = ("lm-eval: model %s, task %s: %d file(s) averaged: %s"):format(show(g.model), show(g.set), #g.files,
      list(g.files))
    if #g.skipped > 0 then line = line .. ("; older run(s) skipped: %s"):format(list(g.skipped)) end
    out[#out + 1] = line
  end
  return out
end

-- ------------------------------------------------------------------ CSV

local write_csv = files.write_csv

local function param_names(report)
  local names, seen = {}, {}
  for _, s in ipairs(report.sets) do
    for _, c in ipairs(s.clusters or {}) do
      for k in pairs(c.params or {}) do
        if not seen[k] then
          seen[k] = true
          names[#names + 1] = k
        end
      end
    end
  end
  table.sort(names)
  return names
end

local function write_tables(report, dir)
  local rows = {}
  for _, s in ipairs(report.sets) do
    rows[#rows + 1] = {
      set = s.name, recipe = s.recipe, prediction = s.prediction, subset_prediction = s.subset_prediction,
      predictable_ratio = s.predictable_ratio, actual = s.actual, actual_subset = s.actual_subset, fe = s.fe,
      ee = s.ee, interval_low = s.interval and s.interval[1], interval_high = s.interval and s.interval[2],
      fallback = s.fallback and s.fallback.recipe, warnings = #(s.warnings or {}),
    }
  end
  write_csv(dir .. "/sets.csv", { "set", "recipe", "prediction", "subset_prediction", "predictable_ratio", "actual",
    "actual_subset", "fe", "ee", "interval_low", "interval_high", "fallback", "warnings" }, rows)
  local pnames = param_names(report)
  local crow = {}
  for _, s in ipairs(report.sets) do
    for _, c in ipairs(s.clusters or {}) do
      local r = { set = s.name, label = c.label, size = c.size, sse = c.sse, r2 = c.r2,
        extrapolatable = c.extrapolatable, rejected_by = c.rejected_by, prediction = c.prediction }
      for _, p in ipairs(pnames) do r[p] = c.params and c.params[p] end
      crow[#crow + 1] = r
    end
  end
  local cheader = { "set", "label", "size" }
  for _, p in ipairs(pnames) do cheader[#cheader + 1] = p end
  for _, h in ipairs({ "sse", "r2", "extrapolatable", "rejected_by", "prediction" }) do cheader[#cheader + 1] = h end
  write_csv(dir .. "/clusters.csv", cheader, crow)
  local mrow = {}
  for _, s in ipairs(report.sets) do
    for _, p in ipairs(s.mapping and s.mapping.points or {}) do
      mrow[#mrow + 1] = { set = s.name, model = p.name, kind = p.anchor and "anchor" or "ladder", x = p.x, y = p.y }
    end
  end
  write_csv(dir .. "/mapping.csv", { "set", "model", "kind", "x", "y" }, mrow)
  -- Cluster labels by item id: `codlua predict --recipe transfer --labels labels.csv` reuses them.
  -- A line per item (100,000 for two sets of 50,000): the set's cell and each label's are
  -- made once, and no table per row (as files.csv_text would need: ~5x slower).
  local lines = { "set,item_id,label" }
  local cell = files.csv_cell
  for _, s in ipairs(report.sets) do
    local st = s._state
    if st and st.labels and s._item_ids then
      local set_cell, ids, label_cells = cell(s.name) .. ",", s._item_ids, {}
      for i, l in ipairs(st.labels) do
        local lc = label_cells[l]
        if not lc then
          lc = "," .. cell(l)
          if l == l then label_cells[l] = lc end  -- (a NaN cannot be a key)
        end
        lines[#lines + 1] = set_cell .. cell(ids[i]) .. lc
      end
    end
  end
  if #lines > 1 then
    lines[#lines + 1] = ""
    files.write_text(dir .. "/labels.csv", table.concat(lines, "\n"))
  end
end

local restore_formula = require("cod.text").restore_formula

--- Read a labels.csv written by a report: {[set] = {[item_id] = label}}. The file is parsed
--- by the engine's CSV reader (quoted commas and line breaks in item ids, CRLF, a BOM);
--- every mistake is a user error naming file:line.
---@param path string
---@return table<string, table<string, integer>>
function M.read_labels(path)
  local errors = require("cod.errors")
  local text = require("cod.text")
  local shown = text.excerpt(path, 200)
  local t = require("cod.core.io").read_csv(path, "set,item_id,label")
  local h = t.header
  if h[1] ~= "set" or h[2] ~= "item_id" or h[3] ~= "label" or #h ~= 3 then
    errors.user(("%s:1: expected the header set,item_id,label"):format(shown), { file = path, line = 1 })
  end
  local out = {}
  for r, fields in ipairs(t.rows) do
    local label = math.tointeger(tonumber(fields[3]))
    if label == nil or label == 0 or label < -1 then
      errors.user(("%s:%d: column 'label': expected a cluster id 1, 2, ... or -1, got '%s'"):format(shown,
        t.lines[r], text.excerpt(fields[3], 80)), { file = path, line = t.lines[r], column = "label" })
    end
    -- Report CSVs defuse spreadsheet formulas (cod.text): undo it to get the names back.
    local set, item = restore_formula(fields[1]), restore_formula(fields[2])
    out[set] = out[set] or {}
    out[set][item] = label
  end
  return out
end

-- ------------------------------------------------------------------ markdown

-- Names and texts from data files and recipes are literal text in the Markdown (cod.text).
local md = text.markdown
local function md_list(names)
  local out = {}
  for i, n in ipairs(names) do out[i] = md(n) end
  return table.concat(out, ", ")
end

local function md_report(report, plots)
  local L = {}
  local function add(s) L[#L + 1] = s end
  add("# codlua prediction report")
  add("")
  add("## How much to trust this")
  add("")
  add(M.trust_paragraph(report))
  add("")
  add("## Settings")
  add("")
  add(("- recipe: %s — %s"):format(md(report.recipe), md(report.recipe_description or "")))
  add(("- target: %s"):format(md(tostring(report.target))))
  add(("- ladder (%d): %s"):format(#report.ladder, md_list(report.ladder)))
  add(("- anchors: %s"):format(#report.anchors > 0 and md_list(report.anchors) or "none"))
  add(("- compute unit: %g FLOPs; bootstrap rounds: %d; seed: %d"):format(report.compute_unit,
    report.settings.bootstrap, report.settings.seed))
  add(("- candidates: %s"):format(md_list(report.settings.candidates or {})))
  if report.feature and report.feature ~= "metric" then
    add(("- per-item feature: %s (clustering and cluster fits; the prediction is the full-set metric, mapped "
      .. "from the feature subset through the ladder)"):format(md(report.feature)))
  end
  add(("- codlua %s"):format(report.version))
  add("")
  local merged = M.source_lines(report, require("cod.text").markdown)
  if #merged > 0 then
    add("## Input files merged")
    add("")
    for _, line in ipairs(merged) do add("- " .. line) end
    add("")
  end
  local warnings = M.warning_lines(report)
  if #warnings > 0 then
    add("## Warnings")
    add("")
    for _, w in ipairs(warnings) do add("- **" .. md(w) .. "**") end
    add("")
  end
  add("## Predictions")
  add("")
  -- An indented code block: no line of the tables (names included) can close it.
  for line in M.table(report):gmatch("[^\n]+") do add("    " .. line) end
  add("")
  for line in M.candidates_table(report):gmatch("[^\n]+") do add("    " .. line) end
  add("")
  if plots.summary then add("![predicted vs actual](plots/" .. plots.summary .. ".svg)") add("") end
  for _, s in ipairs(report.sets) do
    add("## " .. md(s.name))
    add("")
    if s.subset_prediction then
      add(("- prediction p̂ = %s; subset prediction ŷ_S = %s; predictable ratio TR = %s"):format(
        num(s.prediction), num(s.subset_prediction), s.predictable_ratio and ("%.1f%%"):format(100 * s.predictable_ratio) or "-"))
    else
      add(("- prediction p̂ = %s, from %s"):format(s.prediction and num(s.prediction) or "none", md(M.source(s))))
    end
    if s.diagnostics_from then
      add(("- the clusters, fits and mapping below are those of candidate %s"):format(md(s.diagnostics_from)))
    end
    if s.interval then
      add(("- 90%% interval on p̂: [%.4f, %.4f] (model error from the backtests%s)"):format(s.interval[1],
        s.interval[2], s.bootstrap and (", and %d bootstrap rounds"):format(s.bootstrap.rounds) or ""))
    end
    if s.actual then add(("- actual %s, FE %s points; EE %s points"):format(num(s.actual), pct(s.fe), pct(s.ee))) end
    if s.fallback then
      add(("- no cluster extrapolated (%s): fallback %s"):format(md(s.fallback.reason), md(s.fallback.recipe)))
    end
    for _, line in ipairs(M.candidates_markdown(s)) do add(line) end
    if s.clustering then
      add(("- clustering %s: %d items clustered, IAD %.4f, OR %.1f%%"):format(md(s.clustering.method),
        s.clustering.clustered, s.clustering.iad or 0, s.clustering.outlier_rate))
      if s.clustering.mode then
        add(("- clustering mode %s: %s"):format(md(s.clustering.mode), md(s.clustering.mode_reason)))
      end
    end
    if s.mapping then
      add(("- mapping %s: λ = %s, RMSE %.4f%s"):format(md(s.mapping.method), tostring(s.mapping.lambda),
        s.mapping.rmse or 0, s.mapping.monotone_forced and " (monotonicity forced extra smoothing)" or ""))
    end
    add("")
    if s.clusters and #s.clusters > 0 then
      add("| cluster | size | parameters | SSE | verdict | prediction |")
      add("|---:|---:|---|---:|---|---:|")
      for _, c in ipairs(s.clusters) do
        local ps = {}
        local keys = {}
        for k in pairs(c.params or {}) do keys[#keys + 1] = k end
        table.sort(keys)
        for _, k in ipairs(keys) do ps[#ps + 1] = ("%s=%.4g"):format(md(k), c.params[k]) end
        add(("| %d | %d | %s | %s | %s | %s |"):format(c.label, c.size, table.concat(ps, " "), num(c.sse, "%.2e"),
          c.extrapolatable and "extrapolatable" or md("rejected: " .. tostring(c.rejected_by)), num(c.prediction)))
      end
      add("")
    end
    local p = plots[s.name]
    if p then
      if p.clusters then add("![clusters](plots/" .. p.clusters .. ".svg)") end
      if p.mapping then add("![mapping](plots/" .. p.mapping .. ".svg)") end
      if p.candidates then add("![candidates](plots/" .. p.candidates .. ".svg)") end
      add("")
    end
  end
  if plots.note then
    add("> " .. md(plots.note))
    add("")
  end
  return table.concat(L, "\n")
end

-- ------------------------------------------------------------------ write

--- Write the report folder atomically: report.json, report.md, sets.csv, clusters.csv,
--- mapping.csv and plots/. `ladder_C` is the ladder's compute for the curve plots.
---@param report table  from cod.predict.run
---@param out string    folder (replaced when it exists)
---@return {files: string[], plots_rendered: boolean, plot_note?: string}
function M.write(report, out)
  files.atomic_dir(out, function(tmp)
    assert(sys.mkdir(tmp .. "/plots"))
    local plots, rendered, note = {}, true, nil
    -- A gnuplot process per core (warm when cli.predict called plot.prewarm) draws each chart
    -- as soon as its data and script are written, and goes on while the tables are written.
    local batch <close> = plot.batch()
    local results = {}
    batch:start()
    local function keep(r)
      if r then results[#results + 1] = r end
      return r
    end
    local used = {}
    for _, s in ipairs(report.sets) do
      local base = plots_of.file_name(s.name, used)
      local p = {}
      local C = report.ladder_compute
      if C and keep(M.plot_clusters(s, C, tmp .. "/plots/" .. base .. "_clusters", batch)) then
        p.clusters = base .. "_clusters"
      end
      if keep(M.plot_mapping(s, tmp .. "/plots/" .. base .. "_mapping", batch)) then p.mapping = base .. "_mapping" end
      if keep(M.plot_candidates(s, tmp .. "/plots/" .. base .. "_candidates", batch)) then
        p.candidates = base .. "_candidates"
      end
      plots[s.name] = p
    end
    if keep(M.plot_predicted_vs_actual(report, tmp .. "/plots/predicted_vs_actual", batch)) then
      plots.summary = "predicted_vs_actual"
    end
    write_tables(report, tmp)
    batch:finish()
    for _, r in ipairs(results) do
      if not r.rendered then
        rendered = false
        note = r.reason
      end
    end
    if not rendered then plots.note = "Plots were not rendered: " .. tostring(note) end
    report.plots = { rendered = rendered, note = plots.note }
    json.write_file(tmp .. "/report.json", M.to_json(report))
    files.write_text(tmp .. "/report.md", md_report(report, plots), "\n")
  end)
  return report.plots
end

return M
