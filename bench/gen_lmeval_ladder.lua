-- Generate a synthetic ladder with known truth as lm-eval 0.4.x multiple-choice logs
-- (synth.lmeval; bench/README.md, "lm-eval features"), into a scratch folder never committed.
--
-- usage: codlua bench/gen_lmeval_ladder.lua <out_dir> [items=20000] [sets=3] [seed=1]
local synth = require("cod.synth")
local out = assert(arg[1], "usage: gen_lmeval_ladder.lua <out_dir> [items] [sets] [seed]")
local items = math.tointeger(tonumber(arg[2] or "20000"))
local nsets = math.tointeger(tonumber(arg[3] or "3"))
local seed = math.tointeger(tonumber(arg[4] or "1"))
local sets = {}
for k = 1, nsets do sets[k] = { name = "mc" .. k } end
local ds, truth = synth.ladder({ seed = seed, items = items, sets = sets, trials = 0, target_factor = 5 })
local files = synth.lmeval(ds, truth, out, { seed = seed })
io.stderr:write(("wrote %d files (%d sets x %d items x %d models) under %s\n"):format(#files, nsets, items,
  #ds:models(), out))
