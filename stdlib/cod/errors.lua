--- cod.errors: how codlua tells a user's mistake from a bug (DESIGN rule 9).
---
--- A mistake in the input or the options (a missing file, an unknown model, a bad value) is
--- raised as a *user error*: the host prints `codlua: <message>` on one line and exits with
--- its status (1 for input, 2 for usage), without a traceback. Anything else raised (a plain
--- string from `error`, a failed assert) is a bug in codlua or in a user's recipe and keeps
--- its traceback. `CODLUA_TRACEBACK=1` shows tracebacks for user errors too.
---
---   local errors = require("cod.errors")
---   errors.user(("unknown model '%s'%s"):format(name, errors.did_you_mean(name, names)))
---   errors.usage("--bootstrap must be 0 or more rounds, got -3")

local core = require("cod.core.errors")

local M = {}

--- Raise a user error about the input (exit status 1).
---@param message string
---@param fields? {file?: string, line?: integer, column?: string, hint?: string}
function M.user(message, fields)
  error(core.new(message, 1, fields), 0)
end

--- Raise a user error about the command line (exit status 2).
---@param message string
function M.usage(message)
  error(core.new(message, 2), 0)
end

--- Whether `e` (an error value caught by pcall) is a user error.
---@param e any
---@return boolean
function M.is_user(e)
  return core.is(e)
end

--- The text of any error value (a user error's message, a string as is).
---@param e any
---@return string
function M.message(e)
  return tostring(e)
end

--- A " (did you mean 'x'?)" suffix naming the closest candidate, or "" when none is close
--- (a case-insensitive match, else at most a third of the name's length in edits, an
--- adjacent transposition counting as one). The engine's cod::did_you_mean, so that its own
--- messages (an unknown model or set) and stdlib's suggest alike.
---@param name string
---@param candidates string[]
---@return string
function M.did_you_mean(name, candidates)
  if type(name) ~= "string" then return "" end
  local names = {}
  for _, c in ipairs(candidates or {}) do
    if type(c) == "string" then names[#names + 1] = c end
  end
  return core.did_you_mean(name, names)
end

return M
