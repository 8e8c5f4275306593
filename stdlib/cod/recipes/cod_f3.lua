--- cod_f3: the complete pipeline with the f3 form of SPEC §4.
return require("cod.recipes.cod"):with({ fit = { form = "f3" } })
  :rename("cod_f3", "COD with the f3 fitting form")
