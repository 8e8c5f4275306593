-- Print each evaluation set's summary (items, models by compute, mean pass rates):
--   codlua examples/summary.lua data/pythia-arith
local data = require("cod.data")

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local dir = ... or (here .. "/../data/bigbench-bigg")

local ds = data.load(dir)
print(("%s: %s"):format(dir, tostring(ds)))
data.print_summary(ds)
