--- cod.experiments.options: the bundled datasets and presets, the scripts' command-line options, main and notes.
--- A part of cod.experiments (which see): this file adds its functions to the module table.

local args = require("cod.args")
local sys = require("cod.core.sys")
local errors = require("cod.errors")

---@param M table  the cod.experiments module table
return function(M)
  -- ------------------------------------------------------------------ datasets

  --- Bundled real datasets (folders of data/) the scripts know how to set up.
  M.bundled = { "bigbench-bigg", "pythia-arith", "pythia-monkeys", "olmo2-ladder" }

  --- How each bundled real dataset is predicted by default: the target, and whether the ladder
  --- leaves out the target's own size (earlier checkpoints of the target would leak its answer).
  ---@type table<string, {target: string, other_sizes?: boolean, note: string}>
  M.presets = {
    ["bigbench-bigg"] = { target = "BIG-G_T0_27b",
      note = "0/1 correctness (one answer per item); ladder 2m..8b, the cleaner test per data/README.md" },
    ["pythia-arith"] = { target = "pythia-v0-12b-deduped(old:13b)@step143000", other_sizes = true,
      note = "ladder: every checkpoint of the six smaller sizes (160m..6.9b); 12b's own checkpoints left out" },
    ["pythia-monkeys"] = { target = "pythia-12b@step143000", other_sizes = true,
      note = "true pass rates from many samples, but tiny (0-2%); ladder: every checkpoint of 14m..6.9b" },
    ["olmo2-ladder"] = { target = "olmo2-7B-4T-anneal",
      note = "scores only (no items): only the end-to-end baselines apply" },
  }

  --- The synthetic defaults (cod.synth.paper_like): anchors, target factor and trials.
  M.synthetic_defaults = { seed = 1, anchors = 2, target_factor = 5, trials = 100 }

  local DATASET_NAMES = { "synthetic" }
  for _, n in ipairs(M.bundled) do DATASET_NAMES[#DATASET_NAMES + 1] = n end

  --- Whether `list` (nil: none) holds `v`.
  ---@param list any[]|nil
  ---@param v any
  ---@return boolean
  function M.contains(list, v)
    for _, x in ipairs(list or {}) do
      if x == v then return true end
    end
    return false
  end
  local contains = M.contains

  -- The repository root, from the running script's path (scripts/<name>.lua), else ".".
  local function repo_root()
    local script = arg and arg[0] or ""
    local dir = script:match("^(.*)/[^/]*$") or "."
    for _, cand in ipairs({ dir .. "/..", dir, "." }) do
      if sys.is_dir(cand .. "/data/bigbench-bigg") then return cand end
    end
    return "."
  end

  --- The folder of a bundled dataset.
  ---@param name string  one of M.bundled
  ---@return string
  function M.bundled_dir(name)
    return repo_root() .. "/data/" .. name
  end

  --- The command-line spec of a script: the common options plus the script's own.
  ---@param t {name: string, usage?: string, datasets: string[], scale?: number, options?: table[], epilog?: string}
  ---@return table spec  (for cod.args)
  function M.spec(t)
    local spec = {
      usage = t.usage or ("codlua scripts/%s.lua [--data DIR --target MODEL | --datasets D1,...] [options]"):format(t.name),
      epilog = t.epilog,
      script = t.name,
      default_datasets = t.datasets,
      { "data", "DIR", "a dataset folder (models.csv, items.csv and/or scores.csv) instead of the bundled data" },
      { "items", "FILE", "items CSV (with --models) instead of --data" },
      { "models", "FILE", "models CSV" },
      { "scores", "FILE", "scores CSV (full-set metrics)" },
      { "compute-unit", "FLOPS", "unit of compute in fits", number = true, default = 1e18 },
      { "datasets", "D1,...", "bundled data to run: " .. table.concat(DATASET_NAMES, ", ") .. " (default: "
        .. table.concat(t.datasets, ",") .. ")", list = true },
      { "target", "MODEL", "the model to predict (default: the role 'target', or the preset of a bundled dataset)" },
      { "ladder", "M1,...", "ladder models (default: every other model below the target's compute)", list = true },
      { "other-sizes", nil, "leave the target's own size (its earlier checkpoints) out of the default ladder" },
      { "anchors", "A1,...", "anchor models (default: models whose role is anchor)", list = true },
      { "sets", "S1,...", "evaluation sets (default: all)", list = true },
      { "scale", "X", "synthetic: items per set x X (paper_like has 1,000-3,000 per set at 1)", number = true,
        default = t.scale or 0.25 },
      { "seed", "S", "synthetic: seed", number = true, integer = true, default = M.synthetic_defaults.seed },
      { "trials", "N", "synthetic: samples per item and model (1 = single 0/1 answers)", number = true, integer = true,
        default = M.synthetic_defaults.trials },
      { "target-factor", "F", "synthetic: target compute / largest ladder compute", number = true,
        default = M.synthetic_defaults.target_factor },
      { "synthetic-anchors", "N", "synthetic: anchor models between the ladder and the target", number = true,
        integer = true, default = M.synthetic_defaults.anchors },
      { "csv", "FILE", "write the table here (default: " .. t.name .. ".csv in --out or the current folder)" },
      { "out", "DIR", "folder for the CSV (created when missing)" },
      { "quiet", nil, "no progress lines on stderr" },
    }
    for _, o in ipairs(t.options or {}) do spec[#spec + 1] = o end
    return spec
  end

  --- Parse `argv` with a spec from M.spec; prints help or an error and exits as a command would.
  ---@param spec table
  ---@param argv string[]
  ---@return table opts
  function M.parse(spec, argv)
    local o = args.parse_script(spec, argv, spec.script)
    for _, d in ipairs(o.datasets or {}) do
      if not contains(DATASET_NAMES, d) then
        io.stderr:write(("%s: unknown dataset '%s' (datasets: %s)\n"):format(spec.script, d,
          table.concat(DATASET_NAMES, ", ")))
        os.exit(2)
      end
    end
    if (o.data or o.items or o.models or o.scores) and o.datasets then
      io.stderr:write(spec.script, ": give either --data/--items/--models or --datasets, not both\n")
      os.exit(2)
    end
    if not (o.scale > 0) then
      io.stderr:write(("%s: --scale must be > 0, got %s\n"):format(spec.script, tostring(o.scale)))
      os.exit(2)
    end
    o.script = spec.script
    o.default_datasets = spec.default_datasets
    return o
  end

  --- Run `fn()`; a user error (cod.errors: a model name that is not in the data, a file that
  --- cannot be read) prints "<script>: message" and exits with its status, without a
  --- traceback. Any other error is a bug: its message and traceback are printed, exit status 1.
  ---@param o table  parsed options
  ---@param fn fun()
  function M.main(o, fn)
    -- CODLUA_TRACEBACK=1 shows the traceback of user errors too, as the host does.
    local v = os.getenv("CODLUA_TRACEBACK")
    local traceback_always = v ~= nil and v ~= "" and v ~= "0"
    local ok, err = xpcall(fn, function(e)
      if errors.is_user(e) and not traceback_always then return e end
      return debug.traceback(tostring(e), 2)
    end)
    if ok then return end
    -- A bug arrives here as its message with the traceback (made before the stack unwound).
    io.stderr:write(o.script, ": ", tostring(err), "\n")
    os.exit(errors.is_user(err) and err.status or 1)
  end

  --- A progress line on stderr (unless --quiet).
  ---@param o table
  ---@param fmt string
  ---@param ... any
  function M.note(o, fmt, ...)
    if not o.quiet then io.stderr:write(o.script, ": ", fmt:format(...), "\n") end
  end
end
