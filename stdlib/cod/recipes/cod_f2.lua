--- cod_f2: the complete pipeline with the f2 form of SPEC §4.
return require("cod.recipes.cod"):with({ fit = { form = "f2" } })
  :rename("cod_f2", "COD with the f2 fitting form")
