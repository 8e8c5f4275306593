-- cod.json (deterministic encoding) and cod.args (command-line options).
local T = require("testlib")
local json = require("cod.json")
local args = require("cod.args")

T.test("json encodes deterministically with sorted keys", function()
  T.eq(json.encode({ b = 1, a = { 1, 2.5 }, c = "x" }), '{"a":[1,2.5],"b":1,"c":"x"}')
  T.eq(json.encode({}), "[]")
  T.eq(json.encode(json.object()), "{}")
  T.eq(json.encode({ 0 / 0, math.huge, 0.1 }), "[null,null,0.1]")
  T.eq(json.encode({ [1] = "a", [3] = "c" }), '{"1":"a","3":"c"}')
  T.raises(function() json.encode({ f = print }) end, "cannot encode to JSON: value of type function")
end)

T.test("json round-trips numbers exactly", function()
  local v = { 1 / 3, 1e-300, 123456789.123456789, -0.5 }
  local back = json.decode(json.encode(v))
  for i = 1, #v do T.eq(back[i], v[i]) end
end)

T.test("json decode reports syntax errors", function()
  T.raises(function() json.decode("{\"a\": }") end, "^%[json%.exception%.parse_error%.101%]")
end)

local spec = {
  usage = "codlua x [options]",
  { "items", "FILE", "items CSV" },
  { "bootstrap", "N", "rounds", number = true, integer = true, default = 0 },
  { "ladder", "M1,M2", "ladder models", list = true },
  { "quiet", nil, "print less" },
}

T.test("args parses values, numbers, lists and flags", function()
  local o, pos = args.parse(spec, { "--items", "a.csv", "--bootstrap=20", "--ladder", "a,b", "--quiet", "rest" })
  T.eq(o, { items = "a.csv", bootstrap = 20, ladder = { "a", "b" }, quiet = true })
  T.eq(pos, { "rest" })
  o = args.parse(spec, {})
  T.eq(o.bootstrap, 0)
end)

T.test("args errors name the option", function()
  local o, err = args.parse(spec, { "--itmes", "x" })
  T.eq(o, nil)
  T.eq(err, "unknown option '--itmes' (options: --items, --bootstrap, --ladder, --quiet, --help)")
  _, err = args.parse(spec, { "--items" })
  T.eq(err, "option '--items' needs a value (FILE)")
  _, err = args.parse(spec, { "--bootstrap", "many" })
  T.eq(err, "option '--bootstrap' needs a number, got 'many'")
  _, err = args.parse(spec, { "--bootstrap", "1.5" })
  T.eq(err, "option '--bootstrap' needs a whole number, got '1.5'")
  _, err = args.parse(spec, { "--quiet=yes" })
  T.eq(err, "option '--quiet' takes no value")
  T.truthy(args.help(spec):find("--bootstrap N", 1, true))
end)

T.test("matrix row/column selection and means", function()
  local matrix = require("cod.core.matrix")
  local m = matrix.new({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
  T.eq(m:select_rows({ 3, 1, 3 }):totable(), { { 5, 6 }, { 1, 2 }, { 5, 6 } })
  T.eq(m:select_cols({ 2 }):totable(), { { 2 }, { 4 }, { 6 } })
  T.eq(m:col_means(), { 3, 4 })
  T.eq(m:col_means({ 1, 2 }), { 2, 3 })
  local e = m:col_means({})
  T.truthy(e[1] ~= e[1], "empty subset gives NaN")
  T.raises(function() m:select_rows({ 4 }) end, "bad argument #1 to 'select_rows' (element 1 must be an index in [1, 3])")
end)

T.done()
