-- Tries to run a program when run with --sandbox.
os.execute("touch sandbox_escape_ran")
return require("cod.recipes").get("cod")
