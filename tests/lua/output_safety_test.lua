-- Users' files are safe (issue 9): codlua replaces only folders it wrote, checks --out
-- before computing, cleans only its own stale temporary folders, lets one run at a time
-- write a --out, and on a full disk fails naming the file and leaves the previous report.
local T = require("testlib")
local sys = require("cod.core.sys")
local json = require("cod.json")
local q = T.shell_quote

local base = T.source .. "/tests/bad/base"
local bin = q(T.codlua)
local scratch = T.scratch()

local write = T.write
local slurp = T.slurp
local function ls(dir)
  local _, list = T.run("ls -A " .. q(dir))
  return list
end
local function predict(out, extra)
  return T.run(("cd %s && timeout 120 %s predict --data %s --no-backtest --out %s %s"):format(q(scratch), bin, q(base),
    q(out), extra or ""))
end

T.test("a folder with the user's files is refused, before any computation, and left intact", function()
  local out = scratch .. "/project"
  assert(sys.mkdir(out .. "/src"))
  write(out .. "/thesis.tex", "my thesis")
  local code, _, err = predict(out, "--bootstrap 100000")
  T.eq(code, 1)
  T.truthy(err:find("%-%-out '.-project' holds files codlua did not write %('src'%)"), err)
  T.eq(slurp(out .. "/thesis.tex"), "my thesis")
  T.eq(ls(out), "src\nthesis.tex\n")
  T.eq(ls(scratch), "project\n", "no lock or temporary folder left")
  T.remove_tree(out)
end)

T.test("--out equal to (or holding) the input folder never deletes the inputs", function()
  local data = scratch .. "/data"
  T.eq(T.run("cp -r " .. q(base) .. " " .. q(data)), 0)
  local before = ls(data)
  for _, out in ipairs({ data, data .. "/", scratch }) do
    local code, _, err = T.run(("cd %s && %s predict --data %s --out %s"):format(q(scratch), bin, q(data), q(out)))
    T.eq(code, 1, out)
    T.truthy(err:find("holds the input '.-data'") or err:find("holds files codlua did not write"), err)
  end
  T.eq(ls(data), before, "inputs intact")
  T.remove_tree(data)
end)

T.test("codlua replaces its own report, and refuses once the user added a file to it", function()
  local out = scratch .. "/rep"
  local code, _, err = predict(out)
  T.eq(code, 0, err)
  local marker = slurp(out .. "/.codlua-output")
  T.truthy(marker:find("^codlua%-output v1\ncomplete\n") and marker:find("\nf report%.json\n")
    and marker:find("\nd plots\n"), marker)
  code, _, err = predict(out, "--seed 2")
  T.eq(code, 0, err)
  T.eq(ls(scratch), "rep\n", "no temporary or old folder left")
  write(out .. "/notes.txt", "mine")
  code, _, err = predict(out, "--seed 3")
  T.eq(code, 1)
  T.truthy(err:find("holds files codlua did not write %('notes%.txt'%)"), err)
  T.eq(slurp(out .. "/notes.txt"), "mine")
  T.truthy(sys.exists(out .. "/report.json"), "the report stays too")
  -- A marker that lists a file the folder does not have is fine; a link is never codlua's.
  os.remove(out .. "/notes.txt")
  T.eq(T.run("ln -s /etc/passwd " .. q(out .. "/plots/link")), 0)
  code, _, err = predict(out)
  T.eq(code, 1)
  T.truthy(err:find("%('plots/link'%)"), err)
  T.remove_tree(out)
end)

T.test("sys.remove_tree deletes only folders codlua marked, and only the files listed", function()
  local d = scratch .. "/marked"
  assert(sys.mkdir(d .. "/plots"))
  write(d .. "/report.json", "{}")
  write(d .. "/plots/a.dat", "1")
  write(d .. "/user.txt", "keep")
  local ok, err = sys.remove_tree(d)
  T.eq(ok, nil)
  T.truthy(err:find("codlua did not write it"), err)
  write(d .. "/.codlua-output", "codlua-output v1\ncomplete\nf report.json\nd plots\nf plots/a.dat\nf ../victim\n")
  write(scratch .. "/victim", "keep")
  ok, err = sys.remove_tree(d)
  T.eq(ok, nil)
  T.truthy(err:find("holds files codlua did not write"), err)
  T.eq(ls(d), "user.txt\n", "only the listed files went")
  T.eq(slurp(scratch .. "/victim"), "keep", "a listed '..' is ignored")
  T.eq(select(2, sys.remove_tree(scratch .. "/victim")):find("not a folder") ~= nil, true)
  T.remove_tree(d)
  os.remove(scratch .. "/victim")
end)

T.test("--out that is a file, a link, empty, or under a file: clear errors before computing", function()
  write(scratch .. "/afile", "x")
  local code, _, err = predict(scratch .. "/afile")
  T.eq(code, 1)
  T.truthy(err:find("%-%-out '.-afile' exists and is not a folder"), err)
  code, _, err = predict(scratch .. "/afile/sub")
  T.eq(code, 1)
  T.truthy(err:find("afile' is not a folder"), err)
  code, _, err = predict("")
  T.eq(code, 2)
  T.truthy(err:find("%-%-out needs a folder name, got an empty string"), err)
  assert(sys.mkdir(scratch .. "/target"))
  T.eq(T.run("ln -s " .. q(scratch .. "/target") .. " " .. q(scratch .. "/link")), 0)
  code, _, err = predict(scratch .. "/link")
  T.eq(code, 1)
  T.truthy(err:find("is a symbolic link; codlua writes only into a real folder"), err)
  T.eq(ls(scratch .. "/target"), "")
  -- An empty folder is fine.
  code, _, err = predict(scratch .. "/target")
  T.eq(code, 0, err)
  T.truthy(sys.exists(scratch .. "/target/report.json"))
  T.eq(T.run("rm -rf " .. q(scratch .. "/target") .. " " .. q(scratch .. "/link") .. " " .. q(scratch .. "/afile")), 0)
end)

T.test("stale temporary folders of dead runs are removed, others are not", function()
  local out = scratch .. "/stale"
  -- pid 2^22+1 is above Linux's pid_max default: no such process.
  local dead = out .. ".tmp-4194305"
  assert(sys.mkdir(dead .. "/plots"))
  write(dead .. "/.codlua-output", "codlua-output v1\nincomplete\n")
  write(dead .. "/plots/half.dat", "1")
  local foreign = out .. ".tmp-4194306"
  assert(sys.mkdir(foreign))
  write(foreign .. "/user.txt", "keep")
  local live = out .. ".tmp-1"  -- pid 1 is alive
  assert(sys.mkdir(live))
  write(live .. "/.codlua-output", "codlua-output v1\nincomplete\n")
  local code, _, err = predict(out)
  T.eq(code, 0, err)
  T.truthy(not sys.exists(dead), "the dead run's folder is gone")
  T.eq(slurp(foreign .. "/user.txt"), "keep", "an unmarked folder stays")
  T.truthy(sys.exists(live), "a live pid's folder stays")
  T.eq(T.run("rm -rf " .. q(out) .. " " .. q(foreign) .. " " .. q(live)), 0)
end)

T.test("two predicts on one --out: one complete report, a clear message for the other", function()
  local out = scratch .. "/race"
  local log = scratch .. "/first"
  -- The first run holds the lock for its whole run (a few seconds of bootstrap).
  os.execute(("(cd %s && %s predict --data %s --bootstrap 300 --out %s >%s.out 2>%s.err; echo $? >%s.rc) &"):format(
    q(scratch), bin, q(base), q(out), q(log), q(log), q(log)))
  local lock = scratch .. "/.race.codlua-lock"
  -- The lock file appears before its flock is taken and gets the holder's pid only after, so
  -- wait for the pid: a second run started in between could otherwise take the lock first.
  local function holder() return (slurp(lock) or ""):match("^(%d+)\n$") end
  for _ = 1, 400 do
    if holder() then break end
    os.execute("sleep 0.025")
  end
  T.truthy(holder(), "the first run took the lock and wrote its pid")
  local code, _, err = predict(out)
  -- Say which run went wrong when this fails: the lock must still be the first run's.
  T.eq(code, 1, ("second run: %s; the first run had %s"):format(err,
    slurp(log .. ".rc") and "already ended (exit " .. slurp(log .. ".rc"):gsub("%s+$", "") .. ")" or "not ended"))
  T.truthy(err:find("another codlua run %(pid %d+%) is writing %-%-out '.-race'"), err)
  for _ = 1, 2400 do
    if slurp(log .. ".rc") then break end
    os.execute("sleep 0.05")
  end
  T.eq(slurp(log .. ".rc"), "0\n", slurp(log .. ".err"))
  T.truthy(pcall(json.decode, slurp(out .. "/report.json")), "a complete report.json")
  T.truthy(not sys.exists(lock), "the lock file is gone")
  T.eq(T.run("rm -rf " .. q(out) .. " " .. q(log) .. ".*"), 0)
  T.eq(ls(scratch), "")
end)

T.test("a lock held before its pid is written: the second run stops without a made-up pid", function()
  local out = scratch .. "/early"
  local lock = scratch .. "/.early.codlua-lock"
  -- flock(1) makes the file empty and holds it, as a first run does for a moment before its pid is in.
  os.execute(("flock -n %s sleep 2 &"):format(q(lock)))
  local function held() return sys.exists(lock) and T.run(("flock -n %s true"):format(q(lock))) ~= 0 end
  for _ = 1, 200 do
    if held() then break end
    os.execute("sleep 0.025")
  end
  T.truthy(held(), "flock(1) holds the lock")
  local code, _, err = predict(out)
  T.eq(code, 1, err)
  T.truthy(err:find("another codlua run is writing %-%-out '.-early'"), err)
  T.truthy(not sys.exists(out), "nothing written")
  for _ = 1, 200 do  -- flock(1) leaves its (empty) file behind
    if T.run(("flock -n %s true"):format(q(lock))) == 0 then break end
    os.execute("sleep 0.05")
  end
  os.remove(lock)
  T.eq(ls(scratch), "")
end)

T.test("a reader that has gone: a write fails with EPIPE instead of killing codlua", function()
  -- Standard output closed by its reader before the report is printed: a message, exit 1.
  local code, _, err = T.run(("{ { %s predict --data %s --no-backtest --json; echo $? >%s; } | (exec 0<&-; sleep 1); }")
    :format(bin, q(base), q(scratch .. "/rc")))
  T.eq(code, 0)
  T.eq(slurp(scratch .. "/rc"), "1\n", err)
  T.truthy(err:find("cannot write to standard output: Broken pipe", 1, true), err)
  os.remove(scratch .. "/rc")
  -- A pipe to a process that has ended (the report's gnuplot processes are such pipes).
  local p = assert(io.popen("exec 0<&-", "w"))
  os.execute("sleep 0.2")
  local ok, msg = p:write(("x"):rep(1 << 17))
  if ok then ok, msg = p:flush() end
  p:close()
  T.eq(ok, nil)
  T.truthy(tostring(msg):find("Broken pipe", 1, true), tostring(msg))
end)

T.test("--json to a full standard output fails", function()
  local code, _, err = T.run(("(%s predict --data %s --no-backtest --json >/dev/full)"):format(bin, q(base)))
  T.eq(code, 1)
  T.truthy(err:find("cannot write to standard output: No space left on device"), err)
end)

T.test("an unwritable parent folder is found before computing", function()
  local ro = scratch .. "/ro"
  assert(sys.mkdir(ro))
  if T.run("test \"$(id -u)\" = 0") ~= 0 or T.run("mount -t tmpfs -o ro,size=16k tmpfs " .. q(ro) .. " 2>/dev/null") ~= 0 then
    io.stdout:write("SKIP read-only parent test: needs root and tmpfs (mount -t tmpfs -o ro)\n")
    return
  end
  local ok, problem = pcall(function()
    local code, _, err = predict(ro .. "/sub/out", "--bootstrap 100000")
    T.eq(code, 1)
    T.truthy(err:find("%-%-out '.-/ro/sub/out': cannot create files in '.-/ro' %(no write permission"), err)
  end)
  os.execute("umount " .. q(ro))
  if not ok then error(problem, 0) end
  T.eq(T.run("rmdir " .. q(ro)), 0)
end)

T.test("a full disk: exit 1 naming the file and the reason, the previous report intact", function()
  local id = T.run("test \"$(id -u)\" = 0")
  local disk = scratch .. "/disk"
  assert(sys.mkdir(disk))
  if id ~= 0 or T.run("mount -t tmpfs -o size=64k tmpfs " .. q(disk) .. " 2>/dev/null") ~= 0 then
    io.stdout:write("SKIP full-disk test: needs root and tmpfs (mount -t tmpfs -o size=64k)\n")
    return
  end
  local ok, problem = pcall(function()
    local out = disk .. "/rep"
    assert(sys.mkdir(out))
    write(out .. "/report.json", "previous report\n")
    write(out .. "/.codlua-output", "codlua-output v1\ncomplete\nf report.json\n")
    local code, _, err = predict(out)
    T.eq(code, 1)
    T.truthy(err:find("cannot write .-/disk/rep/[%w_/.-]+: No space left on device"), err)
    T.truthy(not err:find("tmp%-%d"), "the message names the user's folder, not the temporary one: " .. err)
    T.eq(slurp(out .. "/report.json"), "previous report\n")
    T.eq(ls(disk), "rep\n", "no temporary folder or lock left")
  end)
  os.execute("umount " .. q(disk))
  if not ok then error(problem, 0) end
end)

-- The base items with the sets renamed (alpha -> a, beta -> b).
local function items_named(path, a, b)
  local lines = {}
  for line in io.lines(base .. "/items.csv") do lines[#lines + 1] = line end
  local function cell(s)
    if s:find('[,"\n\r]') then return '"' .. s:gsub('"', '""') .. '"' end
    return s
  end
  local out = { lines[1] }
  for k = 2, #lines do
    local set, rest = lines[k]:match("^([^,]*),(.*)$")
    out[#out + 1] = cell(set == "alpha" and a or b) .. "," .. rest
  end
  write(path, table.concat(out, "\n") .. "\n")
  return path
end

local function run_named(tag, a, b)
  local items = items_named(scratch .. "/" .. tag .. ".csv", a, b)
  local out = scratch .. "/" .. tag
  local code, stdout, err = T.run(("cd %s && %s predict --models %s --items %s --no-backtest --out %s"):format(
    q(scratch), bin, q(base .. "/models.csv"), q(items), q(out)))
  T.eq(code, 0, err)
  return out, stdout
end

T.test("names are data: report.md escapes markup, CSV cells are not formulas", function()
  local out = run_named("hostile", "x\27[31m<img src=x onerror=alert(1)>|a|\n| forged | row |", "=HYPERLINK(\"http://e\")")
  local md = slurp(out .. "/report.md")
  T.truthy(not md:find("\27", 1, true), "no raw ESC in report.md")
  for line in md:gmatch("[^\n]+") do
    -- Raw text is allowed only in the indented code block (the console table), where it is literal.
    T.truthy(line:sub(1, 4) == "    " or not line:find("<img", 1, true), "no raw HTML: " .. line)
  end
  T.truthy(md:find([[
## x\\x1b\[31m&lt;img src=x onerror=alert\(1\)&gt;\|a\|\\x0a\| forged \| row \|
]], 1, true), "the heading shows the name literally")
  for line in md:gmatch("[^\n]+") do
    T.truthy(not line:find("^| forged"), "no forged table line: " .. line)
  end
  local sets = slurp(out .. "/sets.csv")
  T.truthy(sets:find('\n"\'=HYPERLINK(""http://e"")"', 1, true), "a formula cell gets a leading quote: " .. sets)
  T.truthy(not sets:find("\n=", 1, true) and not sets:find('\n"=', 1, true), "no cell starts with =")
  -- codlua reads its own labels.csv back to the original names.
  local labels = require("cod.report").read_labels(out .. "/labels.csv")
  T.truthy(labels['=HYPERLINK("http://e")'] ~= nil, "labels.csv round-trips the name")
end)

T.test("plot file names: unique and bounded whatever the set names", function()
  for _, pair in ipairs({ { "a/b", "a_b" }, { "数据集一", "数据集二" }, { ("n"):rep(5000), ("n"):rep(4999) .. "m" } }) do
    local out = run_named("plots", pair[1], pair[2])
    local _, list = T.run("ls " .. q(out .. "/plots") .. " | grep '_clusters.dat$'")
    local names = {}
    for n in list:gmatch("[^\n]+") do
      names[#names + 1] = n
      T.truthy(#n <= 80, "bounded file name: " .. n)
    end
    T.eq(#names, 2, "two different files for two different names: " .. list)
    -- Each set's section in report.md shows its own plot.
    local md = slurp(out .. "/report.md")
    local seen = {}
    for file in md:gmatch("%(plots/([^)]+_clusters)%.svg%)") do
      T.truthy(not seen[file], "a plot shown once: " .. file)
      seen[file] = true
    end
    T.remove_tree(out)
  end
end)

T.test("experiment tables are written whole and errors name the table, not its temporary file", function()
  local E = require("cod.experiments")
  local dir = scratch .. "/tables"
  assert(sys.mkdir(dir))
  local path = dir .. "/t.csv"
  E.write_csv(path, { "set", "fe" }, { { set = "=cmd", fe = 1.5 }, { set = "b", fe = 2 } })
  T.eq(slurp(path), "set,fe\n'=cmd,1.5\nb,2\n")
  -- something is already at the temporary name (a folder, a user's file, a link to a user's
  -- file): nothing is written through it or deleted, the old table stays, the message says why
  local tmp = path .. ".tmp-" .. sys.getpid()
  local victim = dir .. "/victim.txt"
  write(victim, "precious")
  local function refused(what)
    local ok, err = pcall(E.write_csv, path, { "set" }, { { set = "c" } })
    T.eq(ok, false, what)
    local msg = require("cod.errors").message(err)
    T.truthy(msg:find("cannot write .-/t%.csv: cannot create its temporary file .-t%.csv%.tmp%-%d+: File exists"),
      msg)
    T.eq(slurp(path), "set,fe\n'=cmd,1.5\nb,2\n", what)
    T.eq(slurp(victim), "precious", what)
  end
  assert(sys.mkdir(tmp))
  refused("a folder")
  assert(os.remove(tmp))
  write(tmp, "mine")
  refused("a file")
  T.eq(slurp(tmp), "mine")
  assert(os.remove(tmp))
  T.eq(T.run("ln -s " .. q(victim) .. " " .. q(tmp)), 0)
  refused("a symbolic link")
  T.eq(T.run("test -L " .. q(tmp)), 0, "the link is still there")
  assert(os.remove(tmp))
  assert(os.remove(victim))
  -- the rename fails (a folder holds the name): the message names t.csv, no temporary file is left
  local blocked = dir .. "/u.csv"
  assert(sys.mkdir(blocked))
  write(blocked .. "/keep", "x")
  local ok, err = pcall(E.write_csv, blocked, { "set" }, { { set = "c" } })
  T.eq(ok, false)
  local msg = require("cod.errors").message(err)
  T.truthy(msg:find("cannot write .-/u%.csv: ") and not msg:find("tmp%-"), msg)
  T.eq(ls(dir), "t.csv\nu.csv\n")
end)

T.test("sys.remove_if_same deletes a file only while its name holds the file it identified", function()
  local dir = scratch .. "/same"
  assert(sys.mkdir(dir))
  local path = dir .. "/made.tmp"
  local f = assert(sys.create_new(path))
  local id = assert(sys.file_id(f))
  f:close()
  -- Another file put at the name since (the user's, or a link to one): left alone. (The made
  -- file is moved, not deleted: a deleted file's inode number may be given to the next one.)
  assert(os.rename(path, dir .. "/moved"))
  write(path, "user's")
  local ok, err = sys.remove_if_same(path, id)
  T.eq(ok, nil)
  T.truthy(err:find("no longer the file codlua made"), err)
  T.eq(slurp(path), "user's")
  assert(os.remove(path))
  assert(os.remove(dir .. "/moved"))
  local victim = dir .. "/victim.txt"
  write(victim, "precious")
  local g = assert(io.open(victim, "rb"))
  local vid = assert(sys.file_id(g))
  g:close()
  T.eq(T.run("ln -s " .. q(victim) .. " " .. q(path)), 0)
  T.eq(sys.remove_if_same(path, vid), nil, "a link to the identified file is not that file")
  T.eq(T.run("test -L " .. q(path)), 0)
  T.eq(slurp(victim), "precious")
  -- The file it identified: removed.
  assert(os.remove(path))
  f = assert(sys.create_new(path))
  id = assert(sys.file_id(f))
  f:close()
  T.eq(sys.remove_if_same(path, id), true)
  T.truthy(not sys.exists(path))
  T.eq(ls(dir), "victim.txt\n")
  T.eq(T.run("rm -rf " .. q(dir)), 0)
end)

T.remove_tree(scratch)
T.done()
