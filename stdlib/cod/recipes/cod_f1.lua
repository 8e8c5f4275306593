--- cod_f1: the complete pipeline with the f1 form of SPEC §4.
return require("cod.recipes.cod"):with({ fit = { form = "f1" } })
  :rename("cod_f1", "COD with the f1 fitting form")
