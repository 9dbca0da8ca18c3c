"""Settings of the local host's connection limits and restart back-off: defaults, the bound taken
from the open-file limit, refused values; and the back-off sequence."""

from __future__ import annotations

import resource

import pytest

from quickfunc.host.__main__ import parse_options
from quickfunc.host.config import (
    FD_RESERVE,
    FD_RESERVE_PER_WORKER,
    ConfigError,
    HostOptions,
    connection_limit,
    load_config,
)
from quickfunc.host.slots import restart_delay


def _load(tmp_path, env=None, **options):
    return load_config(HostOptions(app_dir=str(tmp_path), **options), environ=env or {})


def test_defaults_are_kestrels_timeouts_and_a_bound_under_the_open_file_limit(tmp_path):
    config = _load(tmp_path)
    assert (config.header_timeout, config.idle_timeout) == (30.0, 130.0)
    assert (config.restart_delay, config.restart_max_delay) == (1.0, 30.0)
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert config.max_connections == soft - FD_RESERVE - FD_RESERVE_PER_WORKER
    four = _load(tmp_path, {"FUNCTIONS_WORKER_PROCESS_COUNT": "4"})
    assert four.max_connections == soft - FD_RESERVE - 4 * FD_RESERVE_PER_WORKER


def test_the_bound_follows_a_lower_open_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        assert connection_limit(1) == 1024 - FD_RESERVE - FD_RESERVE_PER_WORKER
        assert connection_limit(10) == 1024 - FD_RESERVE - 10 * FD_RESERVE_PER_WORKER
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_command_line_values_reach_the_config(tmp_path):
    options = parse_options(
        [
            str(tmp_path),
            "--header-timeout",
            "2.5",
            "--idle-timeout",
            "7",
            "--max-connections",
            "50",
            "--restart-delay",
            "0.1",
            "--restart-max-delay",
            "0.4",
        ]
    )
    config = load_config(options, environ={})
    assert (config.header_timeout, config.idle_timeout, config.max_connections) == (2.5, 7.0, 50)
    assert (config.restart_delay, config.restart_max_delay) == (0.1, 0.4)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"header_timeout": 0.0}, "--header-timeout must be a number of seconds above 0 (got 0)"),
        ({"idle_timeout": -1.0}, "--idle-timeout must be a number of seconds above 0 (got -1)"),
        (
            {"restart_delay": 5.0, "restart_max_delay": 1.0},
            "--restart-max-delay (1) must not be less than --restart-delay (5)",
        ),
        ({"max_connections": 0}, "--max-connections must be from 1 to "),
        ({"max_connections": 10**9}, "the open-file limit (ulimit -n) leaves room"),
    ],
)
def test_unusable_values_are_refused_with_the_option_named(tmp_path, options, message):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, **options)
    assert message in str(caught.value)


def test_back_off_starts_at_once_then_doubles_up_to_the_maximum():
    delays = [restart_delay(n, 1.0, 30.0) for n in range(8)]
    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert restart_delay(10**6, 0.1, 0.4) == 0.4  # no overflow however long it goes on
