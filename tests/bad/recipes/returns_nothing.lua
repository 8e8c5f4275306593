-- Returns nothing.
local x = 1
