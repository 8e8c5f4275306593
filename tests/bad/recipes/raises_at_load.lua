-- Raises while the recipe file runs.
error("this recipe is broken on purpose")
