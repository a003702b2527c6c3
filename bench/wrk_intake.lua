-- wrk script for bench/intake.py: each request POSTs a report with a reference and an
-- Idempotency-Key of its own, as the 111 helpline's system would.
-- Arguments after `--`: the token, received_at (ISO 8601 with offset), a run's prefix.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local sent = 0
local headers = {}
local received_at, prefix

function init(args)
  received_at, prefix = args[2], args[3]
  headers["Authorization"] = "Bearer " .. args[1]
  headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local reference = string.format("%s-%d-%d", prefix, id, sent)
  headers["Idempotency-Key"] = reference
  local body = string.format(
    '{"source":"helpline_111","reference":"%s","received_at":"%s","category":"violence",'
      .. '"receiving_agency":"education","signs_of_offence":true,'
      .. '"child":{"name":"Айдана К.","birth_date":"2015-03-01","address":"ул. Абая 1"},'
      .. '"notes":"Соседи слышат крики по ночам"}',
    reference, received_at)
  return wrk.format("POST", nil, headers, body)
end
