--- cod_kmeans: clustering swapped for plain KMeans with the Improved-KMeans k (Table 3).
return require("cod.recipes.cod"):with({ cluster = { method = "improved_kmeans", all = true } })
  :rename("cod_kmeans", "COD with KMeans clustering")
