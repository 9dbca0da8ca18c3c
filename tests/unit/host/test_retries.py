"""Retry policies: delays (fixed; exponential as the WebJobs SDK's strategy, without its
randomisation), limits, and function.json ``retry`` sections read into retry options."""

from __future__ import annotations

import pytest

from quickfunc.host.retries import RetryPolicy, RetrySettingError, policy_of, v1_retry_options
from quickfunc.protos import pb


def test_fixed_delay_is_the_same_every_time():
    policy = RetryPolicy(3, True, delay=2.5)
    assert [policy.delay_before(n) for n in (1, 2, 3)] == [2.5, 2.5, 2.5]
    assert policy.allows(3) and not policy.allows(4)


def test_backoff_starts_at_the_minimum_and_grows_to_the_maximum():
    policy = RetryPolicy(-1, False, minimum=1.0, maximum=10.0)
    assert [policy.delay_before(n) for n in range(1, 8)] == [1.0, 2.0, 3.0, 5.0, 9.0, 10.0, 10.0]
    assert policy.allows(10_000)  # -1: no limit


def test_function_json_sections_become_retry_options():
    fixed = v1_retry_options({"strategy": "fixedDelay", "maxRetryCount": 2, "delayInterval": "00:00:03"})
    assert (fixed.max_retry_count, fixed.delay_interval.seconds) == (2, 3)
    backoff = v1_retry_options(
        {
            "Strategy": "ExponentialBackoff",
            "maxRetryCount": -1,
            "minimumInterval": "00:00:01",
            "maximumInterval": "00:01:00",
        }
    )
    metadata = pb.RpcFunctionMetadata(retry_options=backoff)
    policy = policy_of(metadata, "timerTrigger")
    assert policy == RetryPolicy(-1, False, minimum=1.0, maximum=60.0)
    assert policy_of(metadata, "queueTrigger") is None  # the queue has its own retries


@pytest.mark.parametrize(
    "section, words",
    [
        ({"strategy": "sometimes", "maxRetryCount": 1}, "retry.strategy"),
        ({"strategy": "fixedDelay", "maxRetryCount": "2", "delayInterval": "00:00:01"}, "retry.maxRetryCount"),
        ({"strategy": "fixedDelay", "maxRetryCount": 1}, "retry.delayInterval"),
        ({"strategy": "exponentialBackoff", "maxRetryCount": 1, "minimumInterval": "soon"}, "retry.minimumInterval"),
        ("fixedDelay", "must be an object"),
    ],
)
def test_bad_sections_name_the_key(section, words):
    with pytest.raises(RetrySettingError, match=words):
        v1_retry_options(section)
