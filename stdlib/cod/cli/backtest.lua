--- `codlua backtest`: predict the largest models from the ones below with every recipe.
local common = require("cod.cli.common")
local errors = require("cod.errors")

local M = { summary = "predict the largest ladder models from the ones below, every recipe side by side" }

M.spec = common.command_spec(
  "codlua backtest (--data DIR | --items FILE --models FILE) [--target MODEL | --top N] [options]", {
  { "target", "MODEL", "predict this model (from every non-anchor model below it)" },
  { "top", "N", "predict each of the N largest models", number = true, integer = true, min = 1, max = 10000,
    default = 1 },
  { "recipes", "R1,R2,...", "recipes to compare (default: cod, cod_paper, cod_no_mapping, e2e_exp, e2e_passrate, bnsl"
    .. " and loss_intermediate when losses are known)", list = true },
  { "sets", "S1,...", "evaluation sets (default: all)", list = true },
  { "anchors", "A1,...", "anchor models", list = true },
  common.threads_option,
  common.compute_unit_option,
  { "out", "DIR", "write backtest.json and backtest.csv here" },
})

function M.run(argv)
  local o, status = common.parse("backtest", M.spec, argv)
  if not o then return status end
  local claim <close> = common.claim_out(o)
  common.apply_threads(o)
  local ds = common.load(o)
  local backtest = require("cod.backtest")
  common.check_sets(ds, o.sets)
  local bt = backtest.run(ds, { target = o.target, top = o.top, recipes = o.recipes, sets = o.sets,
    anchors = o.anchors, feature = o.feature })
  io.stdout:write(backtest.table(bt))
  if o.out then
    backtest.write(bt, o.out)
    io.stderr:write("backtest written to ", o.out, "\n")
  end
  return 0
end

return M
