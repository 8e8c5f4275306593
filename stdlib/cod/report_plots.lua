--- cod.report_plots: the plots of a prediction report (SPEC §11 diagnostics): each set's
--- cluster curves and mapping curve, and predicted against actual over sets. cod.report
--- writes them into the report folder; each returns cod.plot.render's result, or nil when
--- the set has nothing to draw. Each takes an optional cod.plot.batch last: its chart is then
--- rendered by batch:run() with the report's others (one gnuplot process per core).

local plot = require("cod.plot")

local M = {}

local palette = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#7f7f7f" }

--- A plot's file name: bounded and unique per set whatever the names (cod.text.file_stem;
--- `used` catches the unlikely hash collision).
---@param s string the set's name
---@param used table<string, boolean> names given so far in this report
---@return string
function M.file_name(s, used)
  local stem = require("cod.text").file_stem(s)
  local unique, k = stem, 1
  while used[unique] do
    k = k + 1
    unique = stem .. "-" .. k
  end
  used[unique] = true
  return unique
end

--- Per-cluster curves with their extrapolation to the target (the paper's Figure 4).
function M.plot_clusters(s, job_C, path, batch)
  local st = s._state
  if not (st and st.clusters and #st.clusters > 0) then return nil end
  local target_C = s.target_compute
  local lo = math.log(job_C[1])
  local hi = math.log(math.max(target_C or job_C[#job_C], job_C[#job_C]))
  local order = {}
  for k, c in ipairs(st.clusters) do order[k] = c end
  table.sort(order, function(a, b)
    if a.size ~= b.size then return a.size > b.size end
    return a.label < b.label
  end)
  local series = {}
  local shown = 0
  for _, c in ipairs(order) do
    if shown >= 10 then break end
    shown = shown + 1
    local color = c.extrapolatable and palette[(shown - 1) % #palette + 1] or "#aaaaaa"
    local title = ("cluster %d (n=%d)%s"):format(c.label, c.size, c.extrapolatable and "" or " rejected")
    local pts = {}
    for j, y in ipairs(c.y) do pts[j] = { job_C[j], y } end
    series[#series + 1] = { title = title, points = pts, style = "points", color = color }
    if c.fit.ok then
      local curve = {}
      for k = 0, 80 do
        local C = math.exp(lo + (hi - lo) * k / 80)
        curve[#curve + 1] = { C, c.fit:eval(C) }
      end
      series[#series + 1] = { points = curve, style = c.extrapolatable and "lines" or "dashed", color = color }
    end
  end
  return plot.render_in(batch, {
    output = path,
    title = ("%s: cluster curves (%d largest of %d)"):format(s.name, shown, #st.clusters),
    xlabel = "compute (units of compute_unit)", ylabel = "mean pass rate", logx = true, yrange = { 0, 1 },
    series = series,
    vlines = target_C and { { x = target_C, title = "target" } } or nil,
  })
end

--- The mapping curve with ladder and anchor points (the paper's Figure A2).
function M.plot_mapping(s, path, batch)
  local st = s._state
  if not (st and st.mapping) then return nil end
  local xs, ys = st.mapping:curve(101)
  local curve = {}
  for i = 1, #xs do curve[i] = { xs[i], ys[i] } end
  local ladder, anchors = {}, {}
  for _, p in ipairs(s.mapping.points or {}) do
    if p.anchor then anchors[#anchors + 1] = { p.x, p.y } else ladder[#ladder + 1] = { p.x, p.y } end
  end
  local series = {
    { title = "mapping (" .. tostring(s.mapping.method) .. ")", points = curve, style = "lines", color = "#1f77b4" },
    { title = "ladder models", points = ladder, style = "points", color = "#2ca02c" },
  }
  if #anchors > 0 then series[#series + 1] = { title = "anchors", points = anchors, style = "points", color = "#ff7f0e" } end
  if s.prediction and s.subset_prediction then
    series[#series + 1] = { title = "prediction", points = { { s.subset_prediction, s.prediction } }, style = "points",
      color = "#d62728" }
  end
  if s.actual and s.actual_subset then
    series[#series + 1] = { title = "target (actual)", points = { { s.actual_subset, s.actual } }, style = "points",
      color = "#000000" }
  end
  return plot.render_in(batch, {
    output = path, title = s.name .. ": predictable subset to full set", xlabel = "metric on the predictable subset",
    ylabel = "full-set metric", xrange = { 0, 1 }, yrange = { 0, 1 }, series = series,
  })
end

--- Predicted against actual over sets.
function M.plot_predicted_vs_actual(report, path, batch)
  local pts = {}
  for _, s in ipairs(report.sets) do
    if s.prediction and s.actual then pts[#pts + 1] = { s.actual, s.prediction } end
  end
  if #pts == 0 then return nil end
  return plot.render_in(batch, {
    output = path, title = "predicted vs actual (" .. report.recipe .. ")", xlabel = "actual", ylabel = "predicted",
    xrange = { 0, 1 }, yrange = { 0, 1 },
    series = { { title = "y = x", points = { { 0, 0 }, { 1, 1 } }, style = "dashed", color = "#888888" },
      { title = "sets", points = pts, style = "points", color = "#d62728" } },
  })
end

return M
