--- Table A3 of the paper (anchor models): the complete COD pipeline with anchor points in the
--- subset-to-full mapping (cod_anchor) and without them (cod_no_anchor); FE (points) per set
--- with Mean and Max rows, and the shared EE (anchors change only the mapping).
---
---   codlua scripts/tableA3.lua                         -- synthetic, 2 anchors between ladder and target
---   codlua scripts/tableA3.lua --data DIR --target MODEL --anchors A1,A2
---
--- Anchors are models with results on the same items that are used only to calibrate the
--- mapping (SPEC §7). None of the bundled real datasets marks anchors, so real data needs
--- --anchors. Without the fallback to e2e_exp unless --fallback. See docs/scripts.md.

local E = require("cod.experiments")

-- The per-set table with Mean and Max rows (instead of one line per variant).
local function show(entry, rows)
  local csv = {}
  local columns = { { head = "set", key = "set", align = "left" }, { head = "actual", key = "actual" },
    { head = "EE", key = "ee" }, { head = "cod_anchor", key = "cod_anchor" },
    { head = "cod_no_anchor", key = "cod_no_anchor" }, { head = "anchors used", key = "anchors" } }
  local shown = {}
  for _, row in ipairs(rows) do
    if not row.skipped then
      local a, n = row.results.cod_anchor, row.results.cod_no_anchor
      local sel = E.set_selection(entry, row.set)
      shown[#shown + 1] = { set = row.set, actual = E.fmt(row.actual, "%.4f"), ee = E.fmt(a.ee),
        cod_anchor = E.fe_cell(a), cod_no_anchor = E.fe_cell(n), anchors = tostring(#sel.anchors) }
      csv[#csv + 1] = { dataset = entry.name, set = row.set, actual = row.actual, ee = a.ee, cod_anchor = a.fe,
        cod_no_anchor = n.fe, anchors = #sel.anchors }
    end
  end
  shown[#shown + 1] = { rule = true }
  local sum_shown, sum_csv = E.mean_max_rows(entry, rows, { { key = "cod_anchor", field = "ee", as = "ee" },
    { key = "cod_anchor", field = "fe", as = "cod_anchor" }, { key = "cod_no_anchor", field = "fe", as = "cod_no_anchor" } })
  for i = 1, 2 do
    shown[#shown + 1] = sum_shown[i]
    csv[#csv + 1] = sum_csv[i]
  end
  print(("Table A3 (anchors; FE in points) — %s"):format(entry.label))
  io.write(E.format(columns, shown))
  print(("  anchors: %s"):format(table.concat(entry.anchors, ", ")))
  for _, line in ipairs(E.skipped_lines(rows)) do print(line) end
  print()
  return csv
end

E.variants_script({
  name = "tableA3",
  datasets = { "synthetic" },
  want = function(name, o)
    if name ~= "synthetic" and not o.anchors then return false, "no anchor models: give --anchors A1,..." end
    return true
  end,
  check = function(entry)
    if #entry.anchors == 0 then
      require("cod.errors").user(("%s has no anchor models: give --anchors A1,... (models with results on the same "
        .. "items, used only in the mapping)"):format(entry.name))
    end
  end,
  variants = { { key = "cod_anchor" }, { key = "cod_no_anchor" } },
  show = show,
  csv_header = { "dataset", "set", "actual", "ee", "cod_anchor", "cod_no_anchor", "anchors" },
}, arg)
