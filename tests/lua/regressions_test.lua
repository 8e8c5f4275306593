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

T.done()
