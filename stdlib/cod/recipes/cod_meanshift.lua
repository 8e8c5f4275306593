--- cod_meanshift: clustering swapped for plain MeanShift (bandwidth estimate_bandwidth(X, 0.3),
--- uncapped, cluster_all = false; SPEC §3.3 item 5, Table 3).
return require("cod.recipes.cod"):with({ cluster = { method = "meanshift", options = { quantile = 0.3 } } })
  :rename("cod_meanshift", "COD with plain MeanShift clustering")
