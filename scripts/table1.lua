--- Table 1 of the paper (prediction methods): the final error FE = |p̂ − actual|·100 (points)
--- of every method on every evaluation set, with Mean and Max rows.
---
---   codlua scripts/table1.lua                          -- synthetic + bundled real data
---   codlua scripts/table1.lua --datasets synthetic --scale 1
---   codlua scripts/table1.lua --data DIR --target MODEL [--ladder M1,...] [--csv t1.csv]
---
--- Columns: cod (complete; falls back to e2e_exp when no cluster extrapolates, marked *),
--- cod_no_mapping, e2e_exp, e2e_passrate, bnsl, and loss_intermediate when every ladder model
--- has a loss. See docs/scripts.md.

local E = require("cod.experiments")

local DEFAULT = { "cod", "cod_no_mapping", "e2e_exp", "e2e_passrate", "bnsl" }

local spec = E.spec({
  name = "table1",
  datasets = { "synthetic", "bigbench-bigg", "pythia-arith", "pythia-monkeys", "olmo2-ladder" },
  options = {
    { "recipes", "R1,...", "columns (default: " .. table.concat(DEFAULT, ", ")
      .. ", and loss_intermediate when every ladder model has a loss)", list = true },
  },
})
local o = E.parse(spec, arg)

E.main(o, function()
  local csv_recipes, seen = {}, {}
  local csv_rows = {}
  for _, entry in ipairs(E.datasets(o)) do
    local names = {}
    for _, n in ipairs(o.recipes or DEFAULT) do names[#names + 1] = n end
    if not o.recipes and E.has_losses(entry) then names[#names + 1] = "loss_intermediate" end
    for _, n in ipairs(names) do
      if not seen[n] then
        seen[n] = true
        csv_recipes[#csv_recipes + 1] = n
      end
    end
    local runs = {}
    for i, n in ipairs(names) do runs[i] = { key = n, recipe = n, fallback = true } end
    local rows = E.run(entry, runs, o)

    local columns = { { head = "set", key = "set", align = "left" }, { head = "items", key = "items" },
      { head = "actual", key = "actual" } }
    for _, n in ipairs(names) do columns[#columns + 1] = { head = n, key = n } end
    local shown, any_fallback = {}, false
    for _, row in ipairs(rows) do
      if not row.skipped then
        local r = { set = row.set, items = tostring(row.items), actual = E.fmt(row.actual, "%.4f") }
        local c = { dataset = entry.name, set = row.set, items = row.items, actual = row.actual }
        local fallbacks, failed = {}, {}
        for _, n in ipairs(names) do
          local cell = row.results[n]
          r[n] = E.fe_cell(cell)
          c[n] = cell.fe
          if cell.fallback then
            fallbacks[#fallbacks + 1] = n
            any_fallback = true
          end
          if not cell.fe and not cell.not_applicable then failed[#failed + 1] = n end
        end
        c.fallbacks = table.concat(fallbacks, ";")
        c.failed = table.concat(failed, ";")
        shown[#shown + 1] = r
        csv_rows[#csv_rows + 1] = c
      end
    end
    shown[#shown + 1] = { rule = true }
    local mean_row, max_row = { set = "Mean" }, { set = "Max" }
    local mean_csv, max_csv = { dataset = entry.name, set = "Mean" }, { dataset = entry.name, set = "Max" }
    for _, n in ipairs(names) do
      local s = E.stats((E.column(rows, n, "fe")))
      mean_row[n], max_row[n] = E.fmt(s and s.mean), E.fmt(s and s.max)
      mean_csv[n], max_csv[n] = s and s.mean, s and s.max
    end
    shown[#shown + 1] = mean_row
    shown[#shown + 1] = max_row
    csv_rows[#csv_rows + 1] = mean_csv
    csv_rows[#csv_rows + 1] = max_csv

    print(("Table 1 (FE, points) — %s"):format(entry.label))
    io.write(E.format(columns, shown))
    for _, line in ipairs(E.skipped_lines(rows)) do print(line) end
    if any_fallback then print("  * no cluster extrapolated: the recipe's fallback (e2e_exp) made this prediction") end
    print()
  end
  local header = { "dataset", "set", "items", "actual" }
  for _, n in ipairs(csv_recipes) do header[#header + 1] = n end
  header[#header + 1] = "fallbacks"
  header[#header + 1] = "failed"
  local path = E.csv_path(o)
  E.write_csv(path, header, csv_rows)
  E.note(o, "wrote %s (%d rows)", path, #csv_rows)
end)
