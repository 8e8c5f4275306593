-- A custom stage that leaves the state broken: clusters is a string, not a list.
local cod = require("cod.recipes").get("cod")
return cod:replace("filter", function(_, st)
  st.clusters = "not a list of clusters"
end):rename("stage_wrong_type")
