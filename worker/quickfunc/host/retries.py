"""Function retry policies (`@app.retry`, function.json `retry`): a failed timer run is run again,
with the RetryContext the host sends (count so far, configured maximum, the last error)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from quickfunc.host.setting_values import parse_timespan
from quickfunc.protos import pb

__all__ = ["RetryPolicy", "RetrySettingError", "policy_of", "v1_retry_options", "run_with_retries"]

_FIXED = pb.RpcRetryOptions.RetryStrategy.Value("fixed_delay")
_EXPONENTIAL = pb.RpcRetryOptions.RetryStrategy.Value("exponential_backoff")
#: the trigger types the host applies function retry policies to (the others have their own,
#: e.g. a queue's maxDequeueCount); of those, the local host runs timers
RETRIED_TRIGGERS = frozenset({"timertrigger"})


class RetrySettingError(ValueError):
    """A function.json ``retry`` section the host cannot use; the message names the key."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long apart a failed invocation is run again (intervals in seconds)."""

    max_retry_count: int  # -1: until it succeeds (or the host stops)
    fixed: bool
    delay: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry).

        Exponential backoff as the WebJobs SDK's RandomizedExponentialBackoffStrategy, without
        its +-20 % randomisation: the minimum, then the minimum plus 2**(attempt - 2) minimums,
        never more than the maximum."""
        if self.fixed:
            return self.delay
        grown = self.minimum * (1 + (2 ** min(attempt - 2, 62) if attempt >= 2 else 0))
        return min(grown, self.maximum)

    def allows(self, attempt: int) -> bool:
        return self.max_retry_count < 0 or attempt <= self.max_retry_count


def _seconds(duration: Any) -> float:
    return duration.seconds + duration.nanos / 1e9


def policy_of(metadata: pb.RpcFunctionMetadata, trigger_type: str) -> RetryPolicy | None:
    """The function's retry policy, or None (none declared, or a trigger the host does not retry)."""
    if not metadata.HasField("retry_options") or trigger_type.lower() not in RETRIED_TRIGGERS:
        return None
    options = metadata.retry_options
    if options.retry_strategy == _FIXED:
        return RetryPolicy(options.max_retry_count, True, delay=_seconds(options.delay_interval))
    return RetryPolicy(
        options.max_retry_count,
        False,
        minimum=_seconds(options.minimum_interval),
        maximum=_seconds(options.maximum_interval),
    )


def _span(section: Mapping[str, Any], key: str) -> float:
    value = next((v for k, v in section.items() if k.lower() == key.lower()), None)
    if not isinstance(value, str):
        raise RetrySettingError(f"retry.{key} is needed, as a time span like '00:00:10'")
    try:
        return parse_timespan(value)
    except ValueError as exc:
        raise RetrySettingError(f"retry.{key}: {exc}") from None


def v1_retry_options(section: Any) -> pb.RpcRetryOptions:
    """A function.json ``retry`` section (strategy fixedDelay or exponentialBackoff) as retry options."""
    if not isinstance(section, Mapping):
        raise RetrySettingError("retry must be an object with strategy and maxRetryCount")
    lowered = {k.lower(): v for k, v in section.items()}
    strategy = str(lowered.get("strategy", "")).lower()
    count = lowered.get("maxretrycount")
    if isinstance(count, bool) or not isinstance(count, int) or count < -1:
        raise RetrySettingError(f"retry.maxRetryCount is {count!r}; write a whole number >= 0 (or -1: no limit)")
    options = pb.RpcRetryOptions(max_retry_count=count)
    if strategy == "fixeddelay":
        options.retry_strategy = _FIXED
        options.delay_interval.FromNanoseconds(int(_span(section, "delayInterval") * 1e9))
    elif strategy == "exponentialbackoff":
        options.retry_strategy = _EXPONENTIAL
        options.minimum_interval.FromNanoseconds(int(_span(section, "minimumInterval") * 1e9))
        options.maximum_interval.FromNanoseconds(int(_span(section, "maximumInterval") * 1e9))
    else:
        raise RetrySettingError(
            f"retry.strategy is {section.get('strategy')!r}; write 'fixedDelay' or 'exponentialBackoff'"
        )
    return options


Attempt = Callable[[pb.RetryContext | None], Awaitable[Any]]


async def run_with_retries(
    attempt: Attempt,
    policy: RetryPolicy | None,
    stopping: asyncio.Event,
    note: Callable[[str], None],
) -> Any:
    """Run ``attempt`` (it returns an outcome with ``ok`` and ``error``), then again while it
    fails and the policy allows, waiting between runs; stops waiting when ``stopping`` is set."""
    if policy is None:
        return await attempt(None)
    context = pb.RetryContext(retry_count=0, max_retry_count=policy.max_retry_count)
    while True:
        outcome = await attempt(context)
        retry = context.retry_count + 1
        if outcome.ok or not policy.allows(retry) or stopping.is_set():
            return outcome
        delay = policy.delay_before(retry)
        limit = "no limit" if policy.max_retry_count < 0 else f"of {policy.max_retry_count}"
        note(f"retry {retry} {limit} in {delay:g}s")
        try:
            await asyncio.wait_for(stopping.wait(), delay)
            return outcome  # the host is stopping: no more retries
        except asyncio.TimeoutError:
            pass
        context = pb.RetryContext(retry_count=retry, max_retry_count=policy.max_retry_count)
        context.exception.message = outcome.error
