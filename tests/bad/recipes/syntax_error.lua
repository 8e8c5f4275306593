-- Does not compile.
local r = require("cod.recipes").get("cod"
return r
