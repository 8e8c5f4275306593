--- cod.text: names from data files are data, never markup or commands. One place for
--- turning a name into something safe to show: on a terminal (control characters made
--- visible), in a message (a bounded excerpt), in Markdown/HTML (escaped), in a CSV cell a
--- spreadsheet opens (formulas neutralised) and in a file name (bounded, unique).
---
---   local text = require("cod.text")
---   text.printable("a\27[31m")        --> "a\x1b[31m"
---   text.excerpt(("x"):rep(5000))     --> "xxx…x… (5000 bytes)"
---   text.markdown("<b>|x")            --> "&lt;b&gt;\|x"

local M = {}

local function hex(c)
  return ("\\x%02x"):format(c:byte())
end

--- `s` with every control character shown as `\xHH` (C0, DEL, and C1 both as UTF-8 and
--- as raw bytes in text that is not UTF-8), so a name can't move the cursor, ring the bell
--- or forge a line on a terminal. Everything else is kept byte for byte.
---@param s any
---@return string
function M.printable(s)
  s = tostring(s)
  s = s:gsub("%c", hex)
  if utf8.len(s) then
    s = s:gsub("\xc2[\x80-\x9f]", function(c) return ("\\u%04x"):format(c:byte(2)) end)
  else
    s = s:gsub("[\x80-\x9f]", hex)
  end
  return s
end

--- At most `max` (default 80) bytes of `s`, made printable, cut on a character boundary,
--- with "… (N bytes)" when cut: what a message quotes of a name or value.
---@param s any
---@param max? integer
---@return string
function M.excerpt(s, max)
  s = tostring(s)
  max = max or 80
  if #s <= max then return M.printable(s) end
  local cut = max
  -- Do not end inside a UTF-8 sequence: step back over continuation bytes.
  while cut > 1 and s:byte(cut + 1) and s:byte(cut + 1) >= 0x80 and s:byte(cut + 1) < 0xc0 do cut = cut - 1 end
  return M.printable(s:sub(1, cut)) .. ("… (%d bytes)"):format(#s)
end

local MD = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }

--- `s` as literal text in Markdown (and the HTML a renderer makes of it): HTML special
--- characters become entities, Markdown punctuation is backslash-escaped (a `|` can't
--- end a table cell), and line breaks and control characters are shown as `\xHH`, so a
--- name can't start a new line, table row, heading or link.
---@param s any
---@return string
function M.markdown(s)
  s = M.printable(s)
  s = s:gsub("[\\`*_{}%[%]()#+%-.!|~]", "\\%0")
  return (s:gsub('[&<>"]', MD))
end

-- A text cell a spreadsheet would run as a formula starts with one of these (after any
-- quotes we added before: the escape must stay reversible).
local FORMULA = "^'*[=+%-@\t\r]"

--- A text CSV cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or
--- carriage return first) gets a leading `'`; `restore_formula` undoes it exactly.
---@param s string
---@return string
function M.defuse_formula(s)
  if s:find(FORMULA) then return "'" .. s end
  return s
end

--- Undo `defuse_formula` (for codlua's own CSVs read back, e.g. labels.csv).
---@param s string
---@return string
function M.restore_formula(s)
  if s:sub(1, 1) == "'" and s:sub(2):find(FORMULA) then return s:sub(2) end
  return s
end

--- A file name for `name`: the name itself when it is at most 40 letters, digits, `-`,
--- `_` and `.` (not starting with `.`); otherwise those characters (others become `_`, at
--- most 40 bytes) then `-` and 8 hex digits of a hash of the whole name, so `a/b` and
--- `a_b` get different files and the name's length never matters.
---@param name string
---@return string
function M.file_stem(name)
  name = tostring(name)
  if #name <= 40 and name:find("^[%w%-_][%w%-_.]*$") then return name end
  local safe = name:gsub("[^%w%-_.]", "_"):sub(1, 40):gsub("^%.+", "_")
  -- FNV-1a (32 bit): a short, stable hash; deterministic across runs and platforms.
  local h = 0x811c9dc5
  for i = 1, #name do
    h = ((h ~ name:byte(i)) * 0x01000193) & 0xffffffff
  end
  return ("%s-%08x"):format(safe, h)
end

return M
