-- The bad-input corpus: malformed files and arguments, each with the exit status and the
-- message codlua must give. Run by tests/lua/bad_inputs_test.lua, which also checks for
-- every case that codlua did not crash, hang (timeout) or report a sanitizer error, and
-- that a failing run left nothing at --out (no folder, no <out>.tmp-<pid>).
--
-- Fields:
--   args     command-line arguments; $BASE (tests/bad/base), $FILES (tests/bad/files),
--            $RECIPES (tests/bad/recipes), $OUT (a fresh path for --out) are replaced
--   status   expected exit status (0 ok, 1 error, 2 usage error)
--   stderr   Lua pattern the standard error must contain (plain text when `plain = true`)
--   stdout   Lua pattern the standard output must contain (optional)
--   setup    "old_report": a previous report (with codlua's marker) is at $OUT and must survive
--            the failing run; "foreign": $OUT is a folder of the user's (thesis.tex, src/main.c);
--            "file": $OUT is a file of the user's; "data": $OUT holds a copy of the dataset.
--            The user's files must be intact after the run.
--   traceback  true for a bug in a user's recipe: stderr must show the Lua traceback; every
--            other failing case is a user's mistake and must print none (DESIGN rule 9)
--   pending  the case shows a known bug, reported to its owner: the status/message checks
--            are reported but do not fail the test (the crash/hang/partial-output checks do)
--
-- Files under tests/bad/files are made from tests/bad/base (a 6-model synthetic ladder
-- with an anchor and a target, two sets of 120 items, 100 trials each; make_base.lua).

local P = { "predict", "--data", "$BASE", "--out", "$OUT" }
local function predict(...)
  local a = { "predict", "--models", "$BASE/models.csv", "--items", "$BASE/items.csv", "--out", "$OUT" }
  for _, x in ipairs({ ... }) do a[#a + 1] = x end
  return a
end
local function with(base, ...)
  local a = {}
  for i, x in ipairs(base) do a[i] = x end
  for _, x in ipairs({ ... }) do a[#a + 1] = x end
  return a
end
local function items(file)
  return { "predict", "--models", "$BASE/models.csv", "--items", "$FILES/" .. file, "--out", "$OUT" }
end
local function models(file)
  return { "predict", "--models", "$FILES/" .. file, "--items", "$BASE/items.csv", "--out", "$OUT" }
end
local function recipe(file)
  return with(P, "--recipe", "$RECIPES/" .. file)
end

return {
  -- ---------------------------------------------------------------- truncated files
  { name = "items truncated inside a row", args = items("items_truncated_row.csv"), status = 1,
    stderr = "items_truncated_row%.csv:1921: this row has 2 fields, expected 6 as in the header" },
  { name = "items truncated inside a quoted field", args = items("items_truncated_quote.csv"), status = 1,
    stderr = "items_truncated_quote%.csv:52: column 'item_id': unterminated quoted field" },
  { name = "models truncated inside a row", args = models("models_truncated.csv"), status = 1,
    stderr = "models_truncated%.csv:5: this row has 2 fields, expected 6 as in the header" },
  { name = "items file empty", args = items("items_empty.csv"), status = 1,
    stderr = "items_empty%.csv: empty file: expected a header line" },
  { name = "items header only", args = items("items_header_only.csv"), status = 1,
    stderr = "items_header_only%.csv: no rows after the header" },
  { name = "models file empty", args = models("models_empty.csv"), status = 1,
    stderr = "models_empty%.csv: empty file: expected a header line" },
  { name = "items with a wrong header", args = items("items_wrong_header.csv"), status = 1,
    stderr = "items_wrong_header%.csv:1: column 'benchmark': missing column; the header has: 'set', 'question'" },

  -- ---------------------------------------------------------------- encodings, BOM, CRLF
  { name = "items with a UTF-8 BOM and CRLF line ends are read", args = with(items("items_bom_crlf.csv"), "--recipe", "cod"), status = 0,
    stdout = "alpha%s+0%.5291" },
  { name = "models with a UTF-8 BOM and CRLF line ends are read", args = with(models("models_bom_crlf.csv"), "--recipe", "cod"), status = 0,
    stdout = "alpha%s+0%.5291" },
  { name = "items in UTF-16 (with BOM)", args = items("items_utf16.csv"), status = 1,
    stderr = "UTF%-16" },
  { name = "models in UTF-16 big-endian (with BOM)", args = models("models_utf16be.csv"), status = 1,
    stderr = "UTF%-16" },
  { name = "Latin-1 set name: read as bytes, report.json stays valid UTF-8", args = with(items("items_latin1.csv"), "--recipe", "cod"),
    status = 0, stdout = "caf.%s+0%.5291", json_valid = true },
  { name = "a NUL byte inside a set name", args = items("items_nul_byte.csv"), status = 1, stderr = "NUL" },
  { name = "a 200,000-character item id is fine", args = with(items("items_long_id.csv"), "--recipe", "cod"), status = 0,
    stdout = "beta%s+0%.4877" },

  -- ---------------------------------------------------------------- numbers in the items
  { name = "pass rate NaN", args = items("items_nan.csv"), status = 1,
    stderr = "items_nan%.csv:242: column 'passrate': 'NaN' is not a finite number" },
  { name = "pass rate inf", args = items("items_inf.csv"), status = 1,
    stderr = "items_inf%.csv:242: column 'passrate': 'inf' is not a finite number" },
  { name = "pass rate 1e308", args = items("items_huge_passrate.csv"), status = 1,
    stderr = "items_huge_passrate%.csv:242: column 'passrate': pass rate 1e308 is outside %[0, 1%]" },
  { name = "negative pass rate", args = items("items_negative_passrate.csv"), status = 1,
    stderr = "items_negative_passrate%.csv:242: column 'passrate': pass rate %-0%.5 is outside %[0, 1%]" },
  { name = "pass rate 1e-400 underflows to 0 and is read", args = items("items_underflow.csv"), status = 0 },
  { name = "huge trial counts with n_correct > n_samples", args = items("items_huge_counts.csv"), status = 1,
    stderr = "items_huge_counts%.csv:242: column 'n_correct': n_correct 2e300 exceeds n_samples 1e300" },
  { name = "pass rate disagrees with the counts", args = items("items_counts_disagree.csv"), status = 1,
    stderr = "pass rate 0%.99 disagrees with n_correct/n_samples = 0/100" },
  { name = "duplicate item row", args = items("items_duplicate_row.csv"), status = 1,
    stderr = "items_duplicate_row%.csv:1922: duplicate row for benchmark 'alpha', item 'item%-6', model 's1'" },
  { name = "items name a model missing from the models CSV", args = items("items_unknown_model.csv"), status = 1,
    stderr = "model 'gpt%-5' is not in the models CSV" },

  -- ---------------------------------------------------------------- models: params, tokens, compute
  { name = "params 1e400 (overflow)", args = models("models_params_overflow.csv"), status = 1,
    stderr = "models_params_overflow%.csv:3: column 'params': '1e400' is not a finite number" },
  { name = "params and tokens 1e300: compute overflows to infinity", args = models("models_huge_params.csv"),
    status = 1, stderr = "model 's3'.*infinite" },
  { name = "params and tokens 1e-300: compute underflows to 0", args = models("models_tiny_compute.csv"),
    status = 1, stderr = "model 's1' has no positive compute" },
  { name = "negative params", args = models("models_negative_params.csv"), status = 1,
    stderr = "models_negative_params%.csv:3: column 'params': %-1%.821417e%+08 is not positive" },
  { name = "zero params", args = models("models_zero_params.csv"), status = 1,
    stderr = "models_zero_params%.csv:5: column 'params': 0 is not positive" },
  { name = "zero tokens", args = models("models_zero_tokens.csv"), status = 1,
    stderr = "models_zero_tokens%.csv:5: column 'tokens': 0 is not positive" },
  { name = "negative tokens", args = models("models_negative_tokens.csv"), status = 1,
    stderr = "models_negative_tokens%.csv:6: column 'tokens': %-5e10 is not positive" },
  { name = "params NaN", args = models("models_nan_params.csv"), status = 1,
    stderr = "models_nan_params%.csv:2: column 'params': 'NaN' is not a finite number" },
  { name = "tokens inf", args = models("models_inf_tokens.csv"), status = 1,
    stderr = "models_inf_tokens%.csv:2: column 'tokens': 'inf' is not a finite number" },
  { name = "a model listed twice", args = models("models_duplicate.csv"), status = 1,
    stderr = "models_duplicate%.csv:10: column 'model': model 's2' is listed twice" },
  { name = "two models with role target", args = models("models_two_targets.csv"), status = 1,
    stderr = "several models have role target %(anchor, target%); name the one to predict" },

  -- ---------------------------------------------------------------- scores
  { name = "score 1.7", args = predict("--scores", "$FILES/scores_out_of_range.csv"), status = 1,
    stderr = "scores_out_of_range%.csv:3: column 'score': score 1%.7 is outside %[0, 1%]" },
  { name = "score NaN", args = predict("--scores", "$FILES/scores_nan.csv"), status = 1,
    stderr = "scores_nan%.csv:2: column 'score': 'NaN' is not a finite number" },

  -- ---------------------------------------------------------------- degenerate data
  { name = "every pass rate 0: no prediction, said plainly", args = items("items_all_zero.csv"), status = 0,
    stdout = "No prediction: end%-to%-end fit failed: y is constant %(0 at all 6 points%)" },
  { name = "every pass rate 0 with 100 trials is not called single-answer data", args = items("items_all_zero.csv"),
    status = 0, stdout_absent = "single%-answer" },
  { name = "every pass rate 1: no prediction, said plainly", args = items("items_all_one.csv"), status = 0,
    stdout = "No prediction: end%-to%-end fit failed: y is constant %(1 at all 6 points%)" },
  { name = "sets of 5 items, fewer than the minimum cluster size", args = with(items("items_five_per_set.csv"), "--recipe", "cod"),
    status = 0, stdout = "No cluster extrapolates" },
  { name = "the target has no results: a prediction without truth", args = with(items("items_no_target.csv"), "--recipe", "cod"),
    status = 0, stdout = "alpha%s+0%.5291%s+%[0%.%d+, 0%.%d+%]%s+0%.506%s+70%.8%%%s+cod\n" },
  { name = "a ladder model missing from one set is left out of that set's ladder", args = items("items_ladder_gap.csv"),
    status = 0, stdout = "1 ladder model%(s%) have no results in this set and were left out of its ladder %(s3%)" },

  -- ---------------------------------------------------------------- model selection
  { name = "target missing from the data", args = with(P, "--target", "nosuch"), status = 1,
    stderr = "unknown model 'nosuch' %(models: s1, s2, s3, s4, s5, s6, anchor, target%)" },
  { name = "the smallest model as target: empty ladder", args = with(P, "--target", "s1"), status = 1,
    stderr = "the ladder has 0 model%(s%); at least 2 are needed" },
  { name = "a ladder of one model", args = with(P, "--ladder", "s1"), status = 1,
    stderr = "the ladder has 1 model%(s%); at least 2 are needed" },
  { name = "a ladder of two models still predicts (backtest skipped)", args = with(P, "--ladder", "s1,s2"),
    status = 0, stdout = "alpha" },
  { name = "an anchor that is also a ladder model", args = with(P, "--ladder", "s1,s2,s3,s4,s5,s6", "--anchors", "s6"),
    status = 1, stderr = "model 's6' is both a ladder model and an anchor" },
  { name = "the target inside the ladder", args = with(P, "--ladder", "s1,s2,target"), status = 1,
    stderr = "the target 'target' is also a ladder model" },
  { name = "a ladder model missing from the data", args = with(P, "--ladder", "s1,nosuch"), status = 1,
    stderr = "unknown model 'nosuch'" },
  { name = "an unknown evaluation set", args = with(P, "--sets", "nosuch"), status = 1,
    stderr = "unknown evaluation set 'nosuch' %(sets: alpha, beta%)" },

  -- ---------------------------------------------------------------- numeric options
  -- Ranges are checked on the parsed number, before any cast to an integer (issue 9).
  { name = "--target-flops 0", args = with(P, "--target-flops", "0"), status = 2,
    stderr = "codlua predict: option '%-%-target%-flops' must be between 1 and 1e%+40, got 0" },
  { name = "--target-flops 1e400", args = with(P, "--target-flops", "1e400"), status = 2,
    stderr = "option '%-%-target%-flops' must be between 1 and 1e%+40, got 1e400" },
  { name = "--target-flops nan", args = with(P, "--target-flops", "nan"), status = 2,
    stderr = "option '%-%-target%-flops' needs a number, got 'nan'" },
  { name = "--compute-unit 0", args = with(P, "--compute-unit", "0"), status = 2,
    stderr = "option '%-%-compute%-unit' must be between 1 and 1e%+30, got 0" },
  { name = "--compute-unit -1", args = with(P, "--compute-unit", "-1"), status = 2,
    stderr = "option '%-%-compute%-unit' must be between 1 and 1e%+30, got %-1" },
  { name = "--compute-unit 1e-300 (every compute would overflow)", args = with(P, "--compute-unit", "1e-300"),
    status = 2, stderr = "option '%-%-compute%-unit' must be between 1 and 1e%+30, got 1e%-300" },
  { name = "--compute-unit 1e300", args = with(P, "--compute-unit", "1e300"), status = 2,
    stderr = "option '%-%-compute%-unit' must be between 1 and 1e%+30, got 1e300" },
  { name = "--bootstrap -1", args = with(P, "--bootstrap", "-1"), status = 2,
    stderr = "option '%-%-bootstrap' must be between 0 and 100000, got %-1" },
  { name = "--bootstrap 2147483648 (would never end)", args = with(P, "--bootstrap", "2147483648"), status = 2,
    stderr = "option '%-%-bootstrap' must be between 0 and 100000, got 2147483648" },
  { name = "--bootstrap 1e300", args = with(P, "--bootstrap", "1e300"), status = 2,
    stderr = "option '%-%-bootstrap' must be between 0 and 100000, got 1e300" },
  { name = "--seed 1e300", args = with(P, "--seed", "1e300"), status = 2,
    stderr = "option '%-%-seed' must be between 0 and 9007199254740992, got 1e300" },
  { name = "--seed -1", args = with(P, "--seed", "-1"), status = 2,
    stderr = "option '%-%-seed' must be between 0 and 9007199254740992, got %-1" },
  { name = "--bootstrap abc", args = with(P, "--bootstrap", "abc"), status = 2,
    stderr = "option '%-%-bootstrap' needs a number, got 'abc'" },
  { name = "--bootstrap 1.5", args = with(P, "--bootstrap", "1.5"), status = 2,
    stderr = "option '%-%-bootstrap' needs a whole number, got '1%.5'" },
  { name = "--smooth -1", args = with(P, "--smooth", "-1"), status = 2,
    stderr = "option '%-%-smooth' must be between 0 and 1000, got %-1" },
  { name = "--smooth 2147483648 (was cast to a negative int)", args = with(P, "--smooth", "2147483648"), status = 2,
    stderr = "option '%-%-smooth' must be between 0 and 1000, got 2147483648" },
  { name = "a 40,000-character option value is quoted as a bounded excerpt",
    args = with(P, "--ladder", ("m"):rep(40000) .. "," .. ("m"):rep(40000)), status = 2,
    stderr = "names 'mmmmmmmmmm.-… %(40000 bytes%)' twice", stderr_max = 400 },

  -- ---------------------------------------------------------------- names are data (issue 9)
  -- Sets named "evil ESC[31m red BEL <b>bold</b>|x| LF | forged | row |" and "=cmd|' /C calc'!A0".
  { name = "control characters in names never reach the terminal raw", args = items("items_hostile_names.csv"),
    status = 0, stdout = "evil\\x1b%[31mred\\x07<b>bol%.%.%.", stdout_absent = "[\27\7]" },
  { name = "an unknown --sets name with control characters is quoted escaped",
    args = with(items("items_hostile_names.csv"), "--sets", "evil\27[31m"), status = 1,
    stderr = "unknown evaluation set 'evil\\x1b%[31m' %(sets: evil\\x1b%[31mred\\x07<b>bold</b>|x|\\x0a| forged",
    stderr_absent = "\27" },

  -- ---------------------------------------------------------------- the ladder and the target (issue 9)
  { name = "a ladder whose models all have the same compute", args = models("models_same_compute.csv"), status = 1,
    stderr = "the ladder's 6 models all have the same compute %(1%.2 units%); a scaling law needs ladder models of "
      .. "different compute" },
  { name = "--target-flops below the ladder: a warning", args = with(P, "--target-flops", "1e17", "--no-backtest"),
    status = 0, stdout = "WARNING: the target's compute %(1e%+17 FLOPs%) is not above the ladder's largest model %('s6'" },
  { name = "a target inside the ladder: a warning", args = with(P, "--target", "s2", "--ladder", "s3,s4,s5",
    "--no-backtest"), status = 0, stdout = "WARNING: the target's compute .- is not above the ladder's largest "
      .. "model %('s5'" },

  -- ---------------------------------------------------------------- name lists (issue 9)
  { name = "--sets S,S names a set twice", args = with(P, "--sets", "alpha,alpha"), status = 2,
    stderr = "codlua predict: option '%-%-sets' names 'alpha' twice" },
  { name = "--ladder '' does not fall back to the default ladder", args = with(P, "--ladder", ""), status = 2,
    stderr = "option '%-%-ladder' needs at least one name, got ''" },
  { name = "--anchors with an empty name", args = with(P, "--anchors", "a1,,a2"), status = 2,
    stderr = "option '%-%-anchors' has an empty name in 'a1,,a2'" },
  { name = "--ladder with a trailing comma", args = with(P, "--ladder", "s1,s2,"), status = 2,
    stderr = "option '%-%-ladder' has an empty name in 's1,s2,'" },
  { name = "--smooth without size/step columns", args = with(P, "--smooth", "2"), status = 1,
    stderr = "checkpoint smoothing needs 'size' and 'step' for every ladder model; model 's1' lacks size" },

  -- ---------------------------------------------------------------- arguments
  { name = "unknown option", args = with(P, "--frobnicate"), status = 2,
    stderr = "codlua predict: unknown option '%-%-frobnicate' %(options: %-%-data," },
  { name = "option without its value", args = { "predict", "--data", "$BASE", "--target" }, status = 2,
    stderr = "codlua predict: option '%-%-target' needs a value %(MODEL%)" },
  { name = "unexpected positional argument", args = with(P, "extra"), status = 2,
    stderr = "codlua predict: unexpected argument 'extra'" },
  { name = "--data folder missing", args = { "predict", "--data", "$BASE/nosuch", "--out", "$OUT" }, status = 1,
    stderr = "nosuch: no such directory %(expected a dataset folder with models%.csv%)" },
  { name = "--data is a file", args = { "predict", "--data", "$BASE/models.csv", "--out", "$OUT" }, status = 1,
    stderr = "models%.csv: not a directory %(expected a dataset folder%)" },
  { name = "--data with --items", args = with(P, "--items", "$BASE/items.csv"), status = 2,
    stderr = "give either %-%-data DIR or %-%-items/%-%-models/%-%-scores, not both" },
  { name = "--items without --models", args = { "predict", "--items", "$BASE/items.csv", "--out", "$OUT" },
    status = 2, stderr = "missing %-%-models FILE %(or %-%-data DIR%)" },
  { name = "--models without items", args = { "predict", "--models", "$BASE/models.csv", "--out", "$OUT" },
    status = 2, stderr = "missing %-%-items FILE %(or %-%-lmeval DIR, %-%-scores FILE%)" },
  { name = "--out under a regular file", args = { "predict", "--data", "$BASE", "--out", "$BASE/models.csv/sub" },
    status = 1, stderr = "models%.csv' is not a folder" },
  -- ---------------------------------------------------------------- users' files at --out (issue 9)
  { name = "--out is a folder with the user's files: refused, intact", args = P, status = 1, setup = "foreign",
    stderr = "%-%-out '.-/out' holds files codlua did not write %('src'%); codlua replaces only a folder it wrote" },
  { name = "--out is the user's file: refused before computing", args = with(P, "--bootstrap", "100000"), status = 1,
    setup = "file", stderr = "%-%-out '.-/out' exists and is not a folder" },
  { name = "--out equal to --data: the inputs are never deleted", args = { "predict", "--data", "$OUT", "--out", "$OUT" },
    status = 1, setup = "data", stderr = "%-%-out '.-/out' is or holds the input '.-/out'" },
  { name = "--out equal to --data with a trailing slash", args = { "predict", "--data", "$OUT", "--out", "$OUT/" },
    status = 1, setup = "data", stderr = "holds the input" },
  { name = "--out is empty", args = { "predict", "--data", "$BASE", "--out", "" }, status = 2,
    stderr = "codlua: %-%-out needs a folder name, got an empty string" },
  { name = "backtest --out is a folder with the user's files", args = { "backtest", "--data", "$BASE", "--out", "$OUT" },
    status = 1, setup = "foreign", stderr = "holds files codlua did not write" },

  { name = "unknown command", args = { "frobnicate" }, status = 2,
    stderr = "codlua: unknown command 'frobnicate' %(commands: help, predict, backtest" },

  -- ---------------------------------------------------------------- recipes
  { name = "unknown recipe name", args = with(P, "--recipe", "nosuch"), status = 1,
    stderr = "unknown recipe 'nosuch' %(recipes: cod, cod_paper, cod_no_mapping," },
  { name = "unknown candidate recipe: one line, a suggestion", args = with(P, "--candidates", "default,e2e_pasrate"),
    status = 1, stderr = "^codlua: unknown recipe 'e2e_pasrate' %(did you mean 'e2e_passrate'%?%) %(recipes: [^\n]*\n$" },
  { name = "recipe file missing", args = recipe("nosuch.lua"), status = 1,
    stderr = "cannot load recipe file cannot open .*nosuch%.lua" },
  { name = "recipe path is a folder", args = with(P, "--recipe", "$RECIPES/"), status = 1,
    stderr = "cannot load recipe file cannot read .*: Is a directory" },
  { name = "recipe with a syntax error", args = recipe("syntax_error.lua"), status = 1,
    stderr = "syntax_error%.lua:3: '%)' expected %(to close '%(' at line 2%) near 'return'" },
  { name = "recipe that raises while loading: a bug, with its traceback", args = recipe("raises_at_load.lua"),
    status = 1, traceback = true, stderr = "raises_at_load%.lua:2: this recipe is broken on purpose\nstack traceback:" },
  { name = "recipe returning a number", args = recipe("returns_number.lua"), status = 1,
    stderr = "returns_number%.lua must return a recipe %(.*%), got number" },
  { name = "recipe returning nothing", args = recipe("returns_nothing.lua"), status = 1,
    stderr = "returns_nothing%.lua must return a recipe %(.*%), got nil" },
  { name = "recipe whose stage raises while running: a bug, with its traceback", args = recipe("stage_raises.lua"),
    status = 1, traceback = true, stderr = "stage_raises%.lua:4: custom filter exploded\nstack traceback:.*stage_raises%.lua:4:" },
  { name = "recipe whose stage leaves the wrong type", args = recipe("stage_wrong_type.lua"), status = 1,
    traceback = true, stderr = "stage 'filter' left state%.clusters as a string %(a table expected%)" },
  { name = "recipe with a misspelled stage option", args = recipe("unknown_stage_option.lua"), status = 1,
    stderr = "bad option 'from' to stage 'fit' %(valid options: fixed, form, local_starts, starts, threads, weights%) %(did you mean 'form'%?%)" },
  { name = "Lua form raising inside the fit (NLopt callback)", args = recipe("form_raises.lua"), status = 1,
    traceback = true, stderr = "form 'exploding': .*form_raises%.lua:14: form exploded at evaluation 26" },
  { name = "Lua form returning a string", args = recipe("form_returns_string.lua"), status = 1,
    traceback = true, stderr = "form 'stringly': f must return a number, got string" },
  { name = "report writer fails: no partial --out", args = recipe("report_breaks.lua"), status = 1,
    traceback = true, stderr = "bad argument #2 to 'format' %(number expected, got string%)" },
  { name = "report writer fails: the previous report survives", args = recipe("report_breaks.lua"), status = 1,
    traceback = true, stderr = "bad argument #2 to 'format'", setup = "old_report" },
  { name = "--sandbox stops a recipe that runs a program",
    args = { "--sandbox", "predict", "--data", "$BASE", "--out", "$OUT", "--recipe", "$RECIPES/sandbox_escape.lua" },
    status = 1, traceback = true, stderr = "sandbox_escape%.lua:2: os%.execute is not allowed by %-%-sandbox",
    no_file = "sandbox_escape_ran" },

  -- ---------------------------------------------------------------- backtest
  { name = "backtest --top 0", args = { "backtest", "--data", "$BASE", "--top", "0", "--out", "$OUT" }, status = 2,
    stderr = "codlua backtest: option '%-%-top' must be between 1 and 10000, got 0" },
  { name = "backtest --top larger than the ladder", args = { "backtest", "--data", "$BASE", "--top", "100", "--out",
    "$OUT" }, status = 1, stderr = "the ladder has 1 model%(s%); at least 2 are needed" },
  { name = "backtest with an unknown recipe", args = { "backtest", "--data", "$BASE", "--recipes", "cod,nosuch",
    "--out", "$OUT" }, status = 1, stderr = "unknown recipe 'nosuch'" },
  { name = "backtest with an unknown set", args = { "backtest", "--data", "$BASE", "--sets", "gamma", "--out", "$OUT" },
    status = 1, stderr = "unknown evaluation set 'gamma' %(sets: alpha, beta%)" },

  -- ---------------------------------------------------------------- lm-eval logs (issue 9 item 7, issue 11)
  { name = "lm-eval: a .jsonl with a UTF-8 BOM is read", args = { "predict", "--models", "$FILES/lmeval/models.csv",
    "--lmeval", "$FILES/lmeval/bom", "--recipe", "e2e_exp", "--no-backtest", "--out", "$OUT" }, status = 0,
    stdout = "mc%s+none" },
  { name = "lm-eval: a doc_id twice in one file", args = { "predict", "--models", "$FILES/lmeval/models.csv",
    "--lmeval", "$FILES/lmeval/duplicate_doc_id", "--out", "$OUT" }, status = 1,
    stderr = "small/samples_mc_2025%-01%-01T00%-00%-00%.000000%.jsonl:3: column 'doc_id': doc_id '0' appears twice " ..
      "with filter 'none' in this file %(first at line 1" },
  { name = "lm-eval: a log-likelihood that is not a number", args = { "predict", "--models",
    "$FILES/lmeval/models.csv", "--lmeval", "$FILES/lmeval/loglik_not_number", "--out", "$OUT" }, status = 1,
    stderr = "jsonl:1: column 'filtered_resps': request 2: expected a %[log%-likelihood, is%-greedy%] pair" },
  { name = "lm-eval: --runs neither average nor newest", args = { "predict", "--models", "$FILES/lmeval/models.csv",
    "--lmeval", "$FILES/lmeval/bom", "--runs", "latest", "--out", "$OUT" }, status = 2,
    stderr = "%-%-runs must be average or newest, got 'latest'" },
  { name = "--feature choice_prob on CSV data", args = with(P, "--feature", "choice_prob"), status = 1,
    stderr = "%-%-feature choice_prob: set 'alpha' has no such per%-item feature %(it has: metric;" },
}
