--- cod.files: small file helpers shared by the report writers: CSV cells and tables, and
--- folders written atomically (built under a temporary name, renamed at the end).

local sys = require("cod.core.sys")

local M = {}

--- One CSV cell: numbers with 10 significant digits (17 with `exact`), NaN and nil empty,
--- text quoted when it holds a comma, a quote or a line break.
---@param v any
---@param exact? boolean
---@return string
function M.csv_field(v, exact)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "" end
    if math.type(v) == "integer" then return tostring(v) end
    return (exact and "%.17g" or "%.10g"):format(v)
  end
  if type(v) == "boolean" then return v and "true" or "false" end
  v = tostring(v)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

--- Write a CSV file: a header and rows given as tables keyed by the header's names.
---@param path string
---@param header string[]
---@param rows table[]
function M.write_csv(path, header, rows)
  local f <close> = assert(io.open(path, "wb"))
  f:write(table.concat(header, ","), "\n")
  for _, r in ipairs(rows) do
    local cells = {}
    for i, h in ipairs(header) do cells[i] = M.csv_field(r[h]) end
    f:write(table.concat(cells, ","), "\n")
  end
end

--- Build the folder `out` atomically: `fill(tmp)` writes into a temporary folder that is
--- renamed to `out` (replacing it) only when fill succeeds; on failure nothing is left.
---@param out string
---@param fill fun(tmp: string)
function M.atomic_dir(out, fill)
  local tmp = out:gsub("/+$", "") .. ".tmp-" .. sys.getpid()
  sys.remove_tree(tmp)
  local made, merr = sys.mkdir(tmp)
  if not made then require("cod.errors").user(merr) end
  local ok, err = pcall(fill, tmp)
  if not ok then
    sys.remove_tree(tmp)
    error(err, 0)
  end
  local renamed, rerr = sys.rename(tmp, out)
  if not renamed then
    sys.remove_tree(tmp)
    require("cod.errors").user(rerr)
  end
end

--- Mean and maximum of a list of numbers (nil when empty): {mean, max, n}.
---@param v number[]
---@return {mean: number, max: number, n: integer}|nil
function M.stats(v)
  if #v == 0 then return nil end
  local sum, max = 0, -math.huge
  for _, x in ipairs(v) do
    sum = sum + x
    if x > max then max = x end
  end
  return { mean = sum / #v, max = max, n = #v }
end

return M
