--- cod.report_candidates: how a report shows the recommendation (SPEC §13) — where each
--- set's headline came from, every candidate side by side, the opening "how much to trust
--- this" paragraph, and the candidates' curves against compute. cod.report uses it.

local plot = require("cod.plot")
local recommend = require("cod.recommend")
local text = require("cod.text")

local M = {}

--- Where a set's headline came from, in a few words: "auto (cod 62%)" or the recipe's name.
function M.source(s)
  if s.recipe == "auto" and s.recommendation and s.recommended then
    return ("auto (%s %.0f%%)"):format(text.printable(s.recommended),
      100 * (s.recommendation.weights[s.recommended] or 0))
  end
  return text.printable(tostring(s.recipe))
end

--- The candidates side by side, one row per set: each candidate's prediction, its mean
--- |backtest error| on this set (points) and its weight in the recommendation.
function M.candidates_table(report)
  local names, seen = {}, {}
  for _, s in ipairs(report.sets) do
    for _, c in ipairs(s.candidates or {}) do
      if not seen[c.recipe] then
        seen[c.recipe] = true
        names[#names + 1] = c.recipe
      end
    end
  end
  if #names == 0 then return "" end
  local lines = { "candidates: prediction, mean |backtest error| (points), weight" }
  local head = ("%-28s"):format("set")
  for _, n in ipairs(names) do
    local shown = text.printable(n)
    head = head .. ("  %-20s"):format(#shown > 20 and shown:sub(1, 20) or shown)
  end
  lines[#lines + 1] = head
  lines[#lines + 1] = ("-"):rep(#head)
  for _, s in ipairs(report.sets) do
    local name = text.printable(s.name)
    if #name > 28 then name = name:sub(1, 25) .. "..." end
    local row = ("%-28s"):format(name)
    local by = {}
    for _, c in ipairs(s.candidates or {}) do by[c.recipe] = c end
    for _, n in ipairs(names) do
      local c = by[n]
      local cell = "-"
      if c and c.prediction then
        local err = c.backtest.mean_abs
        cell = ("%.4f %5s %3.0f%%"):format(c.prediction, err and ("%.1f"):format(err) or "fail", 100 * (c.weight or 0))
      elseif c then
        cell = "none"
      end
      row = row .. ("  %-20s"):format(cell)
    end
    lines[#lines + 1] = (row:gsub("%s+$", ""))
  end
  lines[2] = lines[2]:gsub("%s+$", "")
  return table.concat(lines, "\n") .. "\n"
end

--- The report's opening paragraph: how much to trust the numbers, in words.
function M.trust_paragraph(report)
  local n, widths, top, warned, single = 0, {}, {}, 0, 0
  for _, s in ipairs(report.sets) do
    n = n + 1
    if s.interval then widths[#widths + 1] = 100 * (s.interval[2] - s.interval[1]) / 2 end
    if s.recommended then top[s.recommended] = (top[s.recommended] or 0) + 1 end
    if #(s.warnings or {}) > 0 then warned = warned + 1 end
    if s.single_answer then single = single + 1 end
  end
  table.sort(widths)
  local parts = {}
  if report.recipe == "auto" then
    local names = {}
    for k in pairs(top) do names[#names + 1] = k end
    table.sort(names, function(a, b) return top[a] > top[b] or (top[a] == top[b] and a < b) end)
    parts[#parts + 1] = ("Each prediction is a weighted combination of candidate recipes, weighted by how well each " ..
      "predicted this ladder's own top model from the models below it (largest weight: %s)."):format(
      #names > 0 and text.markdown(names[1]) or "none")
  else
    parts[#parts + 1] = ("The predictions come from recipe %s, as asked; the recommendation (the candidates' " ..
      "backtest-weighted combination) is listed beside it for each set."):format(text.markdown(report.recipe))
  end
  if #widths > 0 then
    parts[#parts + 1] = ("The 90%% intervals are ±%.1f points at the median set (±%.1f to ±%.1f): the error the " ..
      "backtests show, grown to the target's distance beyond the ladder%s. On synthetic ladders with known truth " ..
      "they covered it 95-97%% of the time; they cover less when the target is trained unlike the ladder " ..
      "(other data, much longer training), which no backtest inside the ladder can see (docs/recommend.md).")
      :format(widths[(#widths + 1) // 2], widths[1], widths[#widths],
        (report.settings.bootstrap or 0) > 0 and ", with the bootstrap's sampling noise" or
        " (no bootstrap: sampling noise enters only through the backtests)")
  end
  if single > 0 then
    parts[#parts + 1] = ("%d of %d sets hold single-answer 0/1 results, where COD's clusters do not apply%s."):format(
      single, n, report.recipe == "auto" and " and no trend is removed from the candidates (their backtests share one " ..
      "noisy top model)" or "")
  end
  parts[#parts + 1] = warned > 0 and ("%d of %d sets carry warnings: read them below before using those numbers.")
    :format(warned, n) or "No set carries a warning."
  return table.concat(parts, " ")
end

--- One set's candidates as Markdown lines for report.md (empty when it has none): each
--- candidate's weight, prediction, signed backtest errors per cut, pooled error rate and the
--- systematic trend removed from it (docs/recommend.md).
---@param s table  a set of the report
---@return string[]
function M.candidates_markdown(s)
  local L = {}
  if not s.candidates then return L end
  local md = text.markdown
  L[#L + 1] = ""
  local lower = false  -- backtests of a lower ladder model (recommend.targets > 1)
  for _, c in ipairs(s.candidates) do
    for _, e in ipairs(c.backtest.errors or {}) do lower = lower or (e.rank or 1) > 1 end
  end
  L[#L + 1] = ("Candidates (backtests: the ladder's top model predicted from the ladder cut below it, signed " ..
    "errors in points%s; the headline is %s):"):format(lower and
    "; \"#2 1\": the 2nd largest model predicted from the ladder without the model below it" or "",
    s.recipe ~= "auto" and md(s.recipe) or s.single_answer and
    "their combination weighted by its backtests; no trend is removed on single-answer 0/1 data" or
    "their combination, each less its trend at the target's distance, weighted by its corrected backtests")
  L[#L + 1] = ""
  L[#L + 1] = "| candidate | weight | prediction | backtest errors (cut: points) | error rate (points per ln C) " ..
    "| trend removed (points per ln C) |"
  L[#L + 1] = "|---|---:|---:|---|---:|---:|"
  for _, c in ipairs(s.candidates) do
    local errs = {}
    for _, e in ipairs(c.backtest.errors or {}) do errs[#errs + 1] = ("%s: %+.2f"):format(recommend.task_label(e), e.error) end
    for _, f in ipairs(c.backtest.failures or {}) do errs[#errs + 1] = md(f) end
    L[#L + 1] = ("| %s | %.0f%% | %s | %s | %s | %s |"):format(md(c.recipe), 100 * (c.weight or 0),
      c.prediction and ("%.4f"):format(c.prediction) or ("none: " .. md(tostring(c.reason))), table.concat(errs, ", "),
      c.backtest.pooled_rate and ("%.2f"):format(c.backtest.pooled_rate) or "-",
      (c.backtest.bias and not s.single_answer) and ("%+.2f"):format(c.backtest.bias) or "-")
  end
  L[#L + 1] = ""
  return L
end

local palette = { "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22" }

--- The candidates' curves of one set against compute (those that are a curve: end-to-end
--- fits, loss-intermediate), the ladder's full-set metric, and the headline at the target
--- with its interval. Nil when no candidate has a curve.
---@param s table   a set of the report (needs s._ladder_points, s._curves)
---@param path string
---@param batch? cod.plot.Batch  render with the report's other charts (cod.plot.batch)
function M.plot_candidates(s, path, batch)
  local curves, pts = s._curves, s._ladder_points
  if not (curves and pts and #curves > 0 and #pts > 0) then return nil end
  local lo, hi = math.log(pts[1][1]), math.log(math.max(s.target_compute or pts[#pts][1], pts[#pts][1]))
  local series = { { title = "ladder models", points = pts, style = "points", color = "#000000" } }
  for k, c in ipairs(curves) do
    local line = {}
    for i = 0, 80 do
      local C = math.exp(lo + (hi - lo) * i / 80)
      local ok, y = pcall(c.eval, C)
      if ok and y == y then line[#line + 1] = { C, y } end
    end
    series[#series + 1] = { title = ("%s (%.0f%%)"):format(c.recipe, 100 * (c.weight or 0)), points = line,
      style = "lines", color = palette[(k - 1) % #palette + 1] }
  end
  if s.prediction and s.target_compute then
    series[#series + 1] = { title = "headline", points = { { s.target_compute, s.prediction } }, style = "points",
      color = "#d62728" }
    if s.actual then
      series[#series + 1] = { title = "target (actual)", points = { { s.target_compute, s.actual } }, style = "points",
        color = "#000000" }
    end
    if s.interval then
      series[#series + 1] = { title = "90% interval", points = { { s.target_compute, s.interval[1] },
        { s.target_compute, s.interval[2] } }, style = "lines", color = "#d62728" }
    end
  end
  return plot.render_in(batch, {
    output = path, title = s.name .. ": candidates against compute", xlabel = "compute (units of compute_unit)",
    ylabel = "full-set metric", logx = true, yrange = { 0, 1 }, series = series,
    vlines = s.target_compute and { { x = s.target_compute, title = "target" } } or nil,
  })
end

return M
