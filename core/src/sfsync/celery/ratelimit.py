"""Rate budgets shared by every worker: the limiter's state per credential, in Redis.

:class:`RedisLimiterBackend` implements :class:`~sfsync.http.ratelimit.LimiterBackend` with the
same semantics as the in-process :class:`~sfsync.http.ratelimit.InMemoryLimiterBackend`, but each
operation is one Lua script, so it is atomic across processes and machines:

* every declared window (minutely, daily…) is a sliding log of call times (a sorted set per
  credential and window), so a daily budget of 5,000 holds across all workers for 24 hours;
* what the package's headers said (calls remaining, reset time) is a hash per credential, counted
  down by every reservation until the next response corrects it;
* a pause (a ``Retry-After`` seen by one worker) is a key every worker checks before each call.

Times are the callers' epoch seconds (the protocol's ``now``), so workers must keep their clocks
in sync (NTP), as for anything else that is scheduled. Keys are ``sfsync:rl:{<credential>}:…``:
the braces are a Redis Cluster hash tag, so one credential's keys live on one node and the
scripts stay valid on a cluster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from redis.exceptions import NoScriptError

from sfsync.celery._redis import LoopClients
from sfsync.http.ratelimit import RateWindow, WindowState

__all__ = ["RedisLimiterBackend"]

# KEYS: pause, known, seq, then one sorted set per window. ARGV: now, then limit, seconds, name and
# fixed (1/0) per window. A window the package's headers reported on is governed by that report rather than by
# the sliding log, and starts anew with its full budget when it turns over, as in
# InMemoryLimiterBackend.
_RESERVE = """
local now = tonumber(ARGV[1])
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then wait = paused - now end
local nwin = #KEYS - 3
for i = 1, nwin do
  local key = KEYS[3 + i]
  local limit = tonumber(ARGV[4 * i - 2])
  local seconds = tonumber(ARGV[4 * i - 1])
  local name = ARGV[4 * i]
  local fixed = ARGV[4 * i + 1] == '1'
  local reported = redis.call('HGET', KEYS[2], name)
  local governed = false
  if reported then
    local _, reset = string.match(reported, '^(%S+) (%S+)$')
    reset = tonumber(reset)
    governed = true
    if reset <= now then
      if fixed and seconds > 0 then
        -- the package's fixed window turned over since it reported: a new one, full budget
        local periods = math.max(1, math.ceil((now - reset) / seconds))
        redis.call('HSET', KEYS[2], name, string.format('%d %s', limit, string.format('%.6f', reset + periods * seconds)))
      else
        -- a sliding window's reset frees only its oldest call: our log governs
        redis.call('HDEL', KEYS[2], name)
        governed = false
      end
    end
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.6f', now - seconds))
  if (not governed) and redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + seconds - now
    if w > wait then wait = w end
  end
end
local known = redis.call('HGETALL', KEYS[2])
for j = 1, #known, 2 do
  local remaining, reset = string.match(known[j + 1], '^(%S+) (%S+)$')
  remaining = tonumber(remaining)
  reset = tonumber(reset)
  if remaining <= 0 and reset > now and reset - now > wait then wait = reset - now end
end
-- never round a refusal down to 0: the caller would take a call that was not counted
if wait > 0 then return string.format('%.6f', math.max(wait, 0.000001)) end
local seq = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], 172800000)
for i = 1, nwin do
  local key = KEYS[3 + i]
  local seconds = tonumber(ARGV[4 * i - 1])
  redis.call('ZADD', key, ARGV[1], seq)
  redis.call('PEXPIRE', key, math.ceil(seconds * 1000) + 1000)
end
for j = 1, #known, 2 do
  local remaining, reset = string.match(known[j + 1], '^(%S+) (%S+)$')
  if tonumber(reset) <= now then
    redis.call('HDEL', KEYS[2], known[j])
  else
    redis.call('HSET', KEYS[2], known[j], string.format('%d %s', tonumber(remaining) - 1, reset))
  end
end
return '0'
"""

# KEYS: known. ARGV: now, then name, remaining, reset_at per state.
_OBSERVE = """
local now = tonumber(ARGV[1])
local longest = 0
for i = 2, #ARGV, 3 do
  -- a late answer must not undo newer knowledge: an older window's report is dropped, and of two
  -- reports on the same window the lower count of calls left is kept
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local keep = true
  if current then
    local left_now, reset_now = string.match(current, '^(%S+) (%S+)$')
    local reset_new = tonumber(ARGV[i + 2])
    if reset_new < tonumber(reset_now) then keep = false end
    if reset_new == tonumber(reset_now) and tonumber(ARGV[i + 1]) > tonumber(left_now) then keep = false end
  end
  if keep then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2]) end
  local left = tonumber(ARGV[i + 2]) - now
  if left > longest then longest = left end
end
local ttl = math.ceil(longest * 1000) + 60000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS: pause. ARGV: until.
_PAUSE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', 172800000)
end
return 1
"""


_SHAS = {script: hashlib.sha1(script.encode()).hexdigest() for script in (_RESERVE, _OBSERVE, _PAUSE)}


def _num(value: float) -> str:
    return format(value, ".6f")


class RedisLimiterBackend:
    """Limiter state in Redis, shared by every process that uses the same Redis.

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS; a password in the URL is never shown).
        prefix: Namespace of the keys, to share one Redis between deployments.
    """

    def __init__(self, url: str, *, prefix: str = "sfsync:rl") -> None:
        self._clients = LoopClients(url)
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisLimiterBackend(prefix={self.prefix!r})"

    def _base(self, key: str) -> str:
        if "{" in key or "}" in key:  # keep the cluster hash tag intact
            key = key.replace("{", "(").replace("}", ")")
        return f"{self.prefix}:{{{key}}}"

    async def reserve(self, key: str, windows: Sequence[RateWindow], now: float) -> float:
        base = self._base(key)
        keys = [f"{base}:pause", f"{base}:known", f"{base}:seq"]
        args: list[str] = [_num(now)]
        for window in windows:
            keys.append(f"{base}:w:{window.name}")
            args += [str(window.limit), _num(window.seconds), window.name, "1" if window.fixed else "0"]
        return float(await self._script(_RESERVE, keys, args))

    async def observe(self, key: str, states: Sequence[WindowState], now: float) -> None:
        if not states:
            return
        args: list[str] = [_num(now)]
        for state in states:
            args += [state.name, str(int(state.remaining)), _num(state.reset_at)]
        await self._script(_OBSERVE, [f"{self._base(key)}:known"], args)

    async def pause(self, key: str, until: float) -> None:
        await self._script(_PAUSE, [f"{self._base(key)}:pause"], [_num(until)])

    async def _script(self, script: str, keys: list[str], args: list[str]) -> bytes:
        client = self._clients.get()
        sha = _SHAS[script]
        try:
            return await client.evalsha(sha, len(keys), *keys, *args)  # type: ignore[no-any-return]
        except NoScriptError:  # first use on this server (or after SCRIPT FLUSH)
            return await client.eval(script, len(keys), *keys, *args)  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Close this event loop's Redis connection (before ``asyncio.run`` returns)."""
        await self._clients.aclose()
