-- Returns the wrong type.
return 42
