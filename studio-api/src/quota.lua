-- One credential's token bucket, kept in the hash KEYS[1], by Redis's own
-- clock. The same rules as the in-process bucket (pacing.rs):
--   ARGV[1]  "take" or "observe"
--   ARGV[2]  the limit when the server has said none; ARGV[3] the refill
--            rate, tokens a second
--   take:    returns {0, 0} with a token taken, {1, ms} for a wait the
--            server imposed, {2, ms} until the bucket has refilled a token
--   observe: ARGV[4] X-RateLimit-Limit, ARGV[5] -Remaining, ARGV[6] -Reset
--            (epoch seconds), ARGV[7] "1" for a 429, ARGV[8] its
--            Retry-After in ms; "" where absent. Returns {0, 0}.
-- Times are milliseconds since the epoch; no wait is kept longer than a
-- century, so that every time stays an integer Redis can expire by.
local century = 3153600000000
local key = KEYS[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local saved = redis.call('HMGET', key, 'tokens', 'limit', 'updated', 'blocked', 'resets')
local limit = tonumber(saved[2]) or tonumber(ARGV[2])
local tokens = tonumber(saved[1]) or limit
local updated = tonumber(saved[3]) or now
local blocked = tonumber(saved[4])
local resets = tonumber(saved[5])
local rate = tonumber(ARGV[3])
local reply = {0, 0}

if ARGV[1] == 'take' then
  if blocked and blocked > now then
    return {1, blocked - now}
  end
  blocked = nil
  if resets then
    -- The server's window is known: only what it said is left may be
    -- spent until it resets.
    if resets <= now then
      resets = nil
      tokens = math.max(tokens, limit)
    end
  else
    tokens = math.min(tokens + math.max(now - updated, 0) * rate / 1000, limit)
  end
  updated = now
  if tokens >= 1 then
    tokens = tokens - 1
  elseif resets then
    reply = {1, resets - now}
  else
    reply = {2, math.ceil((1 - tokens) * 1000 / rate)}
  end
else
  local seen_limit = tonumber(ARGV[4])
  local remaining = tonumber(ARGV[5])
  local reset = tonumber(ARGV[6])
  if reset then
    reset = reset * 1000
  end
  if seen_limit then
    limit = math.max(seen_limit, 1)
  end
  -- A reset already past marks a response from an earlier window: what it
  -- says is left is stale too.
  local current = not reset or reset >= now
  if remaining and current then
    tokens = math.min(tokens, remaining)
  end
  if reset and reset >= now then
    resets = math.min(reset, now + century)
  end
  if ARGV[7] == '1' then
    tokens = 0
    blocked = now + math.min(tonumber(ARGV[8]) or (resets and resets - now) or 1000, century)
  end
end

redis.call('HSET', key, 'tokens', tokens, 'limit', limit, 'updated', updated,
  'blocked', blocked or '', 'resets', resets or '')
-- An idle bucket refills within a minute, so one untouched for two is full
-- and may go; a wait the server imposed is kept as long as it lasts.
redis.call('PEXPIRE', key, math.max(blocked or 0, resets or 0, now) - now + 120000)
return reply
