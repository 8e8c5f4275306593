--- cod_no_mapping: KMeans with the Improved-KMeans k, every cluster fitted, no filter,
--- the size-weighted mean over all items (zero items predicted 0), no mapping; EE = FE.
return require("cod.recipes.cod"):with({
  cluster = { method = "improved_kmeans", all = true },
  filter = { rule = "none" },
  extrapolate = { all_items = true },
  map = { method = "identity" },
}):rename("cod_no_mapping", "COD without the mapping: all clusters, no filter, identity map")
