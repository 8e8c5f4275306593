--- cod_anchor: the complete pipeline with anchor points in the mapping (the default).
return require("cod.recipes.cod"):with({ map = { anchors = true } })
  :rename("cod_anchor", "COD with anchor models in the mapping")
