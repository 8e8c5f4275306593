--- cod_improved_kmeans: clustering swapped for Improved-KMeans (SPEC §3.5, Table 3).
return require("cod.recipes.cod"):with({ cluster = { method = "improved_kmeans" } })
  :rename("cod_improved_kmeans", "COD with Improved-KMeans clustering")
