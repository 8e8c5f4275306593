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

T.done()
