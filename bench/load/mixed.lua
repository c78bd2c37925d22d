-- wrk script: rotate through the requests of a TSV file and check every answer.
-- Each line: expected status <TAB> 1 if the answer must have hits <TAB> path.
-- Run with as many threads as connections (-t N -c N): with one connection per
-- thread, each response answers the request made just before it.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  plan = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local expect, hits, path = line:match("^(%d+)\t([01])\t(.+)$")
    if expect then
      table.insert(plan, { status = tonumber(expect), hits = hits == "1", path = path })
    end
  end
  file:close()
  -- Threads start at different places of the plan.
  position = (thread_number or 1) * 7
  responses, wrong_status, empty_answers, server_errors = 0, 0, 0, 0
  first_problem = ""
end

function request()
  position = position + 1
  current = plan[(position % #plan) + 1]
  return wrk.format("GET", current.path)
end

local function note(problem)
  if first_problem == "" then
    first_problem = problem
  end
end

function response(status, headers, body)
  responses = responses + 1
  if status >= 500 then
    server_errors = server_errors + 1
  end
  if status ~= current.status then
    wrong_status = wrong_status + 1
    note(status .. " instead of " .. current.status .. " for " .. current.path)
  elseif current.hits and (body:find('"hits":[]', 1, true) or body:find('class="empty"', 1, true)) then
    empty_answers = empty_answers + 1
    note("no hits for " .. current.path)
  end
end

function done(summary, latency, requests)
  local total = { responses = 0, wrong_status = 0, empty_answers = 0, server_errors = 0 }
  local problem = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do
      total[name] = total[name] + (thread:get(name) or 0)
    end
    if problem == "" then
      problem = thread:get("first_problem") or ""
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'LOADTEST_JSON {"requests":%d,"duration_us":%d,"responses_checked":%d,"wrong_status":%d,' ..
    '"empty_answers":%d,"server_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%d,"first_problem":"%s"}\n',
    summary.requests, summary.duration, total.responses, total.wrong_status, total.empty_answers,
    total.server_errors, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    (problem:gsub('[\\"]', "'"))))
end
