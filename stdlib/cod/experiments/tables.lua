--- cod.experiments.tables: plain-text tables in the paper's layout and CSV files written whole.
--- A part of cod.experiments (which see): this file adds its functions to the module table.

local sys = require("cod.core.sys")
local files = require("cod.files")
local errors = require("cod.errors")

---@param M table  the cod.experiments module table
return function(M)
  -- ------------------------------------------------------------------ tables

  --- The Mean and Max rows under a per-set table. Each cell {key, field, as, fmt?, mean_only?}
  --- is the statistic over the sets of rows' results[key][field]: shown formatted (fmt,
  --- default "%.2f") in column `as`, kept raw under `as` in the CSV row.
  ---@param entry cod.experiments.Entry
  ---@param rows table[]
  ---@param cells {key: string, field: string, as: string, fmt?: string, mean_only?: boolean}[]
  ---@return table[] shown  the two table rows (set = "Mean", "Max")
  ---@return table[] csv    the two CSV rows (dataset, set = "Mean", "Max")
  function M.mean_max_rows(entry, rows, cells)
    local shown, csv = {}, {}
    for _, which in ipairs({ "mean", "max" }) do
      local label = which == "mean" and "Mean" or "Max"
      local r, c = { set = label }, { dataset = entry.name, set = label }
      for _, cell in ipairs(cells) do
        if not (cell.mean_only and which == "max") then
          local s = M.stats((M.column(rows, cell.key, cell.field)))
          r[cell.as] = M.fmt(s and s[which], cell.fmt)
          c[cell.as] = s and s[which]
        end
      end
      shown[#shown + 1] = r
      csv[#csv + 1] = c
    end
    return shown, csv
  end

  --- Lines saying which sets were skipped and why, one line per reason.
  ---@param rows cod.experiments.Row[]
  ---@return string[]
  function M.skipped_lines(rows)
    local by, order = {}, {}
    for _, row in ipairs(rows) do
      if row.skipped then
        if not by[row.skipped] then
          by[row.skipped] = {}
          order[#order + 1] = row.skipped
        end
        local t = by[row.skipped]
        t[#t + 1] = row.set
      end
    end
    local out = {}
    for _, why in ipairs(order) do
      local sets = by[why]
      out[#out + 1] = ("  %d set%s skipped (%s): %s"):format(#sets, #sets == 1 and "" or "s", why,
        table.concat(sets, ", "))
    end
    return out
  end

  --- "%.2f" of a number, "-" for nil/NaN.
  ---@param v number|nil
  ---@param fmt? string
  ---@return string
  function M.fmt(v, fmt)
    if type(v) ~= "number" or v ~= v then return "-" end
    return (fmt or "%.2f"):format(v)
  end

  --- A cell of a Table 1-like layout: FE with "*" when a fallback made it, "fail" without a prediction.
  ---@param c cod.experiments.Cell|nil
  ---@return string
  function M.fe_cell(c)
    if c == nil or c.not_applicable then return "n/a" end
    if not c.fe then return "fail" end
    return ("%.2f"):format(c.fe) .. (c.fallback and "*" or "")
  end

  --- Format a table: columns {head, key, align = "left"|"right"}; rows are tables of strings by key;
  --- a row with `rule = true` is a dashed line. Returns the text.
  ---@param columns {head: string, key: string, align?: string}[]
  ---@param rows table[]
  ---@return string
  function M.format(columns, rows)
    local width = {}
    for i, c in ipairs(columns) do
      width[i] = #c.head
      for _, r in ipairs(rows) do
        if not r.rule then width[i] = math.max(width[i], #tostring(r[c.key] or "")) end
      end
    end
    local function line(get)
      local parts = {}
      for i, c in ipairs(columns) do
        local s = get(c)
        if c.align == "left" then
          parts[i] = s .. (" "):rep(width[i] - #s)
        else
          parts[i] = (" "):rep(width[i] - #s) .. s
        end
      end
      return (table.concat(parts, "  "):gsub("%s+$", ""))
    end
    local total = 0
    for i = 1, #columns do total = total + width[i] end
    total = total + 2 * (#columns - 1)
    local out = { line(function(c) return c.head end), ("-"):rep(total) }
    for _, r in ipairs(rows) do
      if r.rule then
        out[#out + 1] = ("-"):rep(total)
      else
        out[#out + 1] = line(function(c) return tostring(r[c.key] or "") end)
      end
    end
    return table.concat(out, "\n") .. "\n"
  end

  --- The layout of Tables 3, 4 and A1: one row per variant, columns of means over sets.
  --- `variants` are {key, label, text?}; `fields` are {field, head, fmt} over M.means.
  --- Prints the table and returns the CSV rows ({dataset, variant, recipe, text, <field>..., sets, predicted}).
  ---@param title string
  ---@param entry cod.experiments.Entry
  ---@param rows cod.experiments.Row[]
  ---@param variants {key: string, label: string, recipe?: string, text?: string}[]
  ---@param fields {field: string, head: string, fmt: string}[]
  ---@return table[] csv_rows
  function M.print_variants(title, entry, rows, variants, fields)
    local columns = { { head = "method", key = "label", align = "left" } }
    local with_text = false
    for _, v in ipairs(variants) do with_text = with_text or v.text ~= nil end
    if with_text then columns[#columns + 1] = { head = "definition", key = "text", align = "left" } end
    for _, f in ipairs(fields) do columns[#columns + 1] = { head = f.head, key = f.field } end
    columns[#columns + 1] = { head = "predicted", key = "predicted" }
    local shown, csv = {}, {}
    for _, v in ipairs(variants) do
      local m = M.means(rows, v.key)
      local r = { label = v.label, text = v.text, predicted = ("%d/%d"):format(m.ok, m.sets) }
      local recipe = type(v.recipe) == "table" and v.recipe.name or v.recipe or v.key
      local c = { dataset = entry.name, variant = v.label, recipe = recipe, text = v.text, sets = m.sets,
        predicted = m.ok }
      for _, f in ipairs(fields) do
        r[f.field] = M.fmt(m[f.field], f.fmt)
        c[f.field] = m[f.field]
      end
      shown[#shown + 1] = r
      csv[#csv + 1] = c
    end
    print(("%s — %s"):format(title, entry.label))
    io.write(M.format(columns, shown))
    print("  EE, FE: means over the sets each method predicted ('predicted' counts them); other columns: over all sets")
    for _, line in ipairs(M.skipped_lines(rows)) do print(line) end
    print()
    return csv
  end

  -- ------------------------------------------------------------------ CSV

  --- The CSV path of a run: --csv, else <out or .>/<script>.csv (the folder is created).
  ---@param o table
  ---@return string
  function M.csv_path(o)
    if o.csv then return o.csv end
    local dir = o.out or "."
    if o.out then
      local ok, err = sys.mkdir(o.out)
      if not ok then errors.user(err) end
    end
    return dir .. "/" .. o.script .. ".csv"
  end

  --- Write rows (tables keyed by header names) as CSV (cod.files.csv_text); the file is
  --- written whole, then renamed into place, so a failed run leaves no half table.
  ---@param path string
  ---@param header string[]
  ---@param rows table[]
  function M.write_csv(path, header, rows)
    files.replace_file(path, files.csv_text(header, rows))
  end
end
