--- cod_dbscan: clustering swapped for DBSCAN (eps = R, min_samples = K; Table 3).
return require("cod.recipes.cod"):with({ cluster = { method = "dbscan" } })
  :rename("cod_dbscan", "COD with DBSCAN clustering")
