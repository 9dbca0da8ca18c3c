"""Host options from the environment (QUICKFUNC_<OPTION>), as a container sets them."""

from __future__ import annotations

import pytest

from quickfunc.host.__main__ import build_parser, parse_options
from quickfunc.host.env_options import env_name
from quickfunc.host.listen_urls import listening_urls


def test_options_come_from_the_environment():
    options = parse_options(
        [],
        {
            "QUICKFUNC_ENABLE_AUTH": "true",
            "QUICKFUNC_DRAIN_TIMEOUT": "40",
            "QUICKFUNC_MAX_BODY_SIZE": "1MB",
            "QUICKFUNC_FUNCTIONS": "hello, add",
            "QUICKFUNC_STORAGE": "connection",
            "QUICKFUNC_NO_COLOR": "1",
            "QUICKFUNC_VERBOSE": "yes",
            "QUICKFUNC_MAX_CONNECTIONS": "50",
        },
    )
    assert options.enable_auth is True and options.drain_timeout == 40.0
    assert options.max_body_size == "1MB" and options.functions == ["hello", "add"]
    assert options.storage == "connection" and options.color is False
    assert options.worker_log_level == "Debug" and options.max_connections == 50


def test_the_command_line_wins_over_the_environment():
    options = parse_options(
        ["--drain-timeout", "5", "--color"], {"QUICKFUNC_DRAIN_TIMEOUT": "40", "QUICKFUNC_COLOR": "0"}
    )
    assert options.drain_timeout == 5.0 and options.color is True


def test_false_and_empty_leave_the_default():
    options = parse_options(
        [], {"QUICKFUNC_ENABLE_AUTH": "false", "QUICKFUNC_NO_COLOR": "no", "QUICKFUNC_LOG_LEVEL": ""}
    )
    assert options.enable_auth is False and options.color is None and options.log_level is None


def test_host_and_port_are_left_to_the_configuration():
    """QUICKFUNC_HOST/PORT keep their place in the configuration's order (after --port, before
    local.settings.json Host.LocalHttpPort) and its messages."""
    options = parse_options([], {"QUICKFUNC_PORT": "8080", "QUICKFUNC_HOST": "0.0.0.0"})
    assert options.port is None and options.host is None
    # the variables the host sets for its workers under --debug are not read as its own options
    debugging = parse_options([], {"QUICKFUNC_DEBUG_PORT": "9091", "QUICKFUNC_DEBUG_WAIT": "1"})
    assert debugging.dev == parse_options([], {}).dev


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("QUICKFUNC_DRAIN_TIMEOUT", "soon", "QUICKFUNC_DRAIN_TIMEOUT must be a number (got 'soon')"),
        ("QUICKFUNC_ENABLE_AUTH", "maybe", "QUICKFUNC_ENABLE_AUTH must be true or false (got 'maybe')"),
        ("QUICKFUNC_STORAGE", "cloud", "QUICKFUNC_STORAGE must be one of embedded, connection (got 'cloud')"),
    ],
)
def test_a_bad_value_names_the_variable_and_exits_with_usage(capsys, name, value, said):
    with pytest.raises(SystemExit) as info:
        parse_options([], {name: value})
    assert info.value.code == 2
    assert said in capsys.readouterr().err


def test_every_long_option_has_a_variable_named_in_the_help():
    parser = build_parser()
    longs = [o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    assert env_name("--drain-timeout") == "QUICKFUNC_DRAIN_TIMEOUT"
    assert {env_name(o) for o in longs} >= {"QUICKFUNC_ENABLE_AUTH", "QUICKFUNC_PORT", "QUICKFUNC_CORS"}
    assert "QUICKFUNC_" in parser.format_help()


def test_the_banner_names_the_address_bound():
    """Bound to every address (a container), "Listening on" says so and gives the loopback URL;
    function URLs use the loopback one."""
    base, listening = listening_urls("0.0.0.0", "0.0.0.0", 8080)
    assert base == "http://127.0.0.1:8080"
    assert listening.startswith("http://0.0.0.0:8080, every address")
    assert listening_urls("127.0.0.1", "127.0.0.1", 7071) == ("http://127.0.0.1:7071",) * 2
    assert listening_urls("::1", "::1", 7071) == ("http://[::1]:7071",) * 2
    assert listening_urls("::", "::", 80)[1].startswith("http://[::]:80, every address")


def test_the_queue_lease_is_the_hosts_ten_minutes_unless_shortened(tmp_path):
    from quickfunc.host.config import ConfigError, load_config

    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    assert load_config(parse_options([str(tmp_path)], {}), {}).queues.lease == 600
    shortened = parse_options([str(tmp_path)], {"QUICKFUNC_QUEUE_LEASE": "20"})
    assert load_config(shortened, {}).queues.lease == 20
    with pytest.raises(ConfigError, match="--queue-lease must be from 1 to 604800 seconds"):
        load_config(parse_options([str(tmp_path), "--queue-lease", "0.5"], {}), {})
