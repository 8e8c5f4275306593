--- cod_no_anchor: the mapping uses ladder points only.
return require("cod.recipes.cod"):with({ map = { anchors = false } })
  :rename("cod_no_anchor", "COD without anchor models in the mapping")
