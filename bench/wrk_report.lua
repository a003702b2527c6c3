-- wrk reporter for bench/portal.py: one machine-readable line with the figures it prints.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %.3f %d %d %d %d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
