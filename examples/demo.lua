-- The main job on bundled data. Until the prediction pipeline lands, it
-- loads the BIG-G ladder and prints each evaluation set's summary.
local data = require("cod.data")

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local dir = ... or (here .. "/../data/bigbench-bigg")

local ds = data.load(dir)
print(("%s: %s"):format(dir, tostring(ds)))
data.print_summary(ds)
