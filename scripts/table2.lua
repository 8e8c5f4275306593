--- Table 2 of the paper (transfer across model families): predict a target from its own
--- family's ladder, clustering items either on that ladder ("own", recipe cod) or with the
--- cluster labels of another family's ladder ("transfer", recipe transfer; SPEC §10). EE, FE
--- (points) and TR (%) per set, Mean and Max rows.
---
---   codlua scripts/table2.lua                          -- synthetic two families + pythia-arith
---   codlua scripts/table2.lua --data DIR --target MODEL --ladder B1,... --source-ladder A1,...
---   codlua scripts/table2.lua --data DIR --target MODEL --split-step 80000
---
--- Synthetic: family A is the paper_like ladder (8 models, 1e18..1e21 FLOPs); family B is built
--- on the same items (their true laws) with its own compute grid, 2x compute efficiency, fresh
--- noise and sampling (cod.experiments.two_families). pythia-arith: one Pythia v0 family, so the
--- "source family" is an earlier checkpoint set: the six smaller sizes at steps 13000..65000
--- cluster the items, the same sizes at steps 91000..143000 are the ladder that predicts
--- 12b@step143000 (--split-step 80000). See docs/scripts.md.

local E = require("cod.experiments")

local spec = E.spec({
  name = "table2",
  datasets = { "synthetic", "pythia-arith" },
  options = {
    { "source-ladder", "M1,...", "the other family's ladder whose clusters are transferred", list = true },
    { "split-step", "S", "split the ladder by checkpoint: models with step < S are the source family, the "
      .. "rest predict (pythia-arith default 80000)", number = true },
    { "b-models", "N", "synthetic family B: ladder models", number = true, integer = true, default = 6 },
    { "b-min-flops", "F", "synthetic family B: smallest compute", number = true, default = 3e18 },
    { "b-max-flops", "F", "synthetic family B: largest ladder compute", number = true, default = 1e21 },
    { "b-efficiency", "K", "synthetic family B: compute efficiency relative to A", number = true, default = 2 },
    { "fallback", nil, "let a recipe fall back to e2e_exp when no cluster extrapolates (default: show 'fail')" },
  },
})
local o = E.parse(spec, arg)

-- Split an entry's ladder by checkpoint step: (source, rest).
local function split(entry, step)
  local src, rest = {}, {}
  for _, m in ipairs(entry.ladder) do
    local s = entry.ds:model(m).step
    if s == nil then require("cod.errors").user(("--split-step: model '%s' has no step"):format(m)) end
    if s < step then src[#src + 1] = m else rest[#rest + 1] = m end
  end
  if #src < 2 or #rest < 2 then
    require("cod.errors").user(("--split-step %g leaves %d source and %d ladder models (each needs >= 2)"):format(step, #src, #rest))
  end
  return src, rest
end

local function synthetic(opts)
  local ds, info = E.two_families(opts, { models = opts.b_models, min_flops = opts.b_min_flops,
    max_flops = opts.b_max_flops, efficiency = opts.b_efficiency })
  local sel = { target = info.target, ladder = info.b_ladder, anchors = {} }
  return E.entry("synthetic", ds, sel, opts, {
    source = info.a_ladder, expected = info.expected,
    note = ("family B (%d models %g..%g FLOPs, %gx efficient) on paper_like's items; source: family A's %d-model ladder"
      .. " (seed %d, scale %g, %d trials)"):format(opts.b_models, opts.b_min_flops, opts.b_max_flops,
      opts.b_efficiency, #info.a_ladder, opts.seed, opts.scale, opts.trials),
  })
end

local SPLIT = { ["pythia-arith"] = 80000 }

E.main(o, function()
  local entries = E.datasets(o, {
    want = function(name)
      if name == "synthetic" or o.source_ladder or o.split_step or SPLIT[name] then return true end
      return false, "one model family only: give --source-ladder or --split-step"
    end,
    load = { synthetic = synthetic },
  })
  local csv = {}
  for _, entry in ipairs(entries) do
    if not entry.source then
      if o.source_ladder then
        entry.source = o.source_ladder
      else
        local step = o.split_step or SPLIT[entry.name:match("([^/]+)$")]
        if not step then
          require("cod.errors").user("no source family: give --source-ladder M1,... (or --split-step S to split the ladder by step)")
        end
        entry.source, entry.ladder = split(entry, step)
        entry.note = (entry.note and (entry.note .. "; ") or "") .. ("split at step %g: %d source models"):format(
          step, #entry.source)
        E.relabel(entry)
      end
    end
    local rows = E.run(entry, {
      { key = "own", recipe = "cod", fallback = o.fallback },
      { key = "transfer", recipe = "transfer", fallback = o.fallback, transfer_ladder = entry.source },
    }, o)
    local columns = { { head = "set", key = "set", align = "left" }, { head = "actual", key = "actual" } }
    for _, k in ipairs({ "own", "transfer" }) do
      columns[#columns + 1] = { head = k .. " EE", key = k .. "_ee" }
      columns[#columns + 1] = { head = k .. " FE", key = k .. "_fe" }
      columns[#columns + 1] = { head = k .. " TR%", key = k .. "_tr" }
    end
    local shown = {}
    for _, row in ipairs(rows) do
      if not row.skipped then
        local r = { set = row.set, actual = E.fmt(row.actual, "%.4f") }
        local c = { dataset = entry.name, set = row.set, actual = row.actual }
        for _, k in ipairs({ "own", "transfer" }) do
          local cell = row.results[k]
          r[k .. "_ee"], r[k .. "_fe"], r[k .. "_tr"] = E.fmt(cell.ee), E.fe_cell(cell), E.fmt(cell.tr, "%.1f")
          c[k .. "_ee"], c[k .. "_fe"], c[k .. "_tr"] = cell.ee, cell.fe, cell.tr
        end
        shown[#shown + 1] = r
        csv[#csv + 1] = c
      end
    end
    shown[#shown + 1] = { rule = true }
    local cells = {}
    for _, k in ipairs({ "own", "transfer" }) do
      for _, f in ipairs({ "ee", "fe", "tr" }) do
        cells[#cells + 1] = { key = k, field = f, as = k .. "_" .. f, fmt = f == "tr" and "%.1f" or "%.2f",
          mean_only = f == "tr" }
      end
    end
    local sum_shown, sum_csv = E.mean_max_rows(entry, rows, cells)
    for i = 1, 2 do
      shown[#shown + 1] = sum_shown[i]
      csv[#csv + 1] = sum_csv[i]
    end
    local _, n, own_ok = E.column(rows, "own", "fe")
    local _, _, tr_ok = E.column(rows, "transfer", "fe")
    print(("Table 2 (transfer; EE, FE in points) — %s"):format(entry.label))
    io.write(E.format(columns, shown))
    print(("  predicted: own %d/%d sets, transfer %d/%d sets; source ladder %s .. %s"):format(own_ok, n, tr_ok, n,
      entry.source[1], entry.source[#entry.source]))
    for _, line in ipairs(E.skipped_lines(rows)) do print(line) end
    print()
  end
  local path = E.csv_path(o)
  E.write_csv(path, { "dataset", "set", "actual", "own_ee", "own_fe", "own_tr", "transfer_ee", "transfer_fe",
    "transfer_tr" }, csv)
  E.note(o, "wrote %s (%d rows)", path, #csv)
end)
