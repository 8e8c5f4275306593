--- cod.json: deterministic JSON (sorted keys, shortest round-trip numbers, NaN → null).
---
---   local json = require("cod.json")
---   local s = json.encode({b = 1, a = {1, 2}}, {indent = 1})
---   local t = json.decode(s)

local core = require("cod.core.json")

local M = {}

--- Encode a Lua value. Tables with keys exactly 1..n are arrays; an empty table is an
--- array unless made with `json.object()`.
---@param value any
---@param opts? {indent?: integer}  pretty-print with this many spaces (default: compact)
---@return string
function M.encode(value, opts)
  return core.encode(value, opts)
end

--- Decode a JSON string; `null` becomes nil.
---@param s string
---@return any
function M.decode(s)
  return core.decode(s)
end

--- Mark a table (default: a new empty one) to encode as a JSON object even when empty.
---@param t? table
---@return table
function M.object(t)
  return setmetatable(t or {}, core.object_mt)
end

--- Write `value` as JSON to `path` (pretty, with a final newline); a failed write raises.
---@param path string
---@param value any
function M.write_file(path, value)
  require("cod.files").write_text(path, M.encode(value, { indent = 1 }), "\n")
end

return M
