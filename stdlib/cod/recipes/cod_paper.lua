--- cod_paper: the paper's pipeline literally (SPEC §2–§7): the paper's filter rule
--- a > 1, b > 0.1, 0 <= c < 1 without the degenerate-fit guard of `cod` (SPEC §13).
-- The paper literally: exact Improved MeanShift at every size (no large-set mode).
return require("cod.recipes.cod"):with({ filter = { rule = "paper" }, cluster = { large_sets = 0 } })
  :rename("cod_paper", "COD as in the paper: Improved MeanShift, cod-form fits, the paper's filter only, spline mapping")
