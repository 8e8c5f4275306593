-- Crashes and hangs found by the sanitizers and fuzzers (docs/hardening.md), kept as tests.
local T = require("testlib")
local json = require("cod.json")

-- AddressSanitizer: stack-overflow in bindings/l_json.cpp push_json on "[[[[...]]]]":
-- decoding recursed once per level with no bound (encoding had one, 200).
T.test("json.decode: deep nesting is an error, not a stack overflow", function()
  for _, n in ipairs({ 202, 5000, 100000, 1000000 }) do
    T.raises(function() json.decode(("["):rep(n) .. ("]"):rep(n)) end, "cannot decode JSON: nesting deeper than 200")
  end
  T.raises(function() json.decode(('{"a":'):rep(300) .. "1" .. ("}"):rep(300)) end,
    "cannot decode JSON: nesting deeper than 200")
  -- 201 levels (depths 0..200) still decode, as they encode.
  local v = json.decode(("["):rep(201) .. ("]"):rep(201))
  local depth = 0
  while type(v) == "table" do
    depth = depth + 1
    v = v[1]
  end
  T.eq(depth, 201)
end)

-- UndefinedBehaviorSanitizer: signed overflow in engine/src/synth.cpp SynthRng::binomial
-- (n + 1 - a with n = LLONG_MAX), reached from rng:binomial(math.maxinteger, p).
T.test("rng:binomial with the largest n has no overflow", function()
  local rng = require("cod.core.random").new(1)
  for _, p in ipairs({ 0.5, 0.001, 0.999 }) do
    local k = rng:binomial(math.maxinteger, p)
    T.truthy(math.type(k) == "integer" and k >= 0, "an integer count")
    T.near(k / math.maxinteger, p, 1e-6, "about n * p")
  end
end)

-- rng:sample_rows(n) cut n to an int for the table size and then looped n times: 2^53 ran
-- until memory ran out (found probing the bindings with huge integers).
T.test("rng:sample_rows refuses n beyond a Lua table's size", function()
  local rng = require("cod.core.random").new(1)
  T.raises(function() rng:sample_rows(2 ^ 53) end, "^bad argument #1 to 'sample_rows' %(must be in %[1, 2147483647%]%)")
  T.raises(function() rng:sample_rows(2 ^ 31) end,
    "^bad argument #1 to 'sample_rows' %(must be in %[1, 2147483647%]%)")
  T.raises(function() rng:sample_rows(math.maxinteger) end,
    "^bad argument #1 to 'sample_rows' %(must be in %[1, 2147483647%]%)")
  T.eq(#rng:sample_rows(7), 7)
end)

-- UndefinedBehaviorSanitizer (invalid vptr in shared_ptr::reset): a box's __gc/__close,
-- fetched with getmetatable, read any userdata passed to it as a box (a file handle's FILE*
-- as a shared_ptr): memory corruption from plain Lua, and a way out of --sandbox.
T.test("a box's __gc/__close on another value raises instead of reading it as a box", function()
  local matrix = require("cod.core.matrix")
  local m = matrix.new({ { 1, 2 } })
  local mt = getmetatable(m)
  local f = assert(io.open(T.source .. "/tests/lua/regressions_test.lua", "rb"))
  local rng = require("cod.core.random").new(1)
  for _, mm in ipairs({ "__gc", "__close" }) do
    T.raises(function() mt[mm](f) end, "^bad argument #1 to '[^']*' %(cod%.Matrix expected, got FILE%*%)$")
    T.raises(function() mt[mm](rng) end, "^bad argument #1 to '[^']*' %(cod%.Matrix expected, got cod%.Random%)$")
    T.raises(function() mt[mm]({}) end, "^bad argument #1 to '[^']*' %(cod%.Matrix expected, got table%)$")
  end
  T.eq(f:read(2), "--", "the file handle is intact")
  f:close()
  T.eq(rng:below(1), 1, "the other box is intact")
  -- On its own type it still releases, and twice is fine.
  mt.__close(m)
  mt.__gc(m)
  T.raises(function() m:rows() end, "%(cod%.Matrix has been released%)$")
end)

T.test("rng:resample_passrates refuses trial counts llround cannot take (1e300, NaN, negative)", function()
  local r = require("cod.core.random").new(1)
  for _, n in ipairs({ 1e300, 0 / 0, -1, math.huge }) do
    T.raises(function() r:resample_passrates({ { 0.5 } }, { { n } }) end, "is outside %[0, 1e15%]")
  end
  local m = r:resample_passrates({ { 0.5 } }, { { 1e6 } })
  T.near(m:get(1, 1), 0.5, 0.01)
end)

T.done()
