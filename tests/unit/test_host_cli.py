"""The local host's command line."""
from __future__ import annotations

import pytest

from quickfunc.host.__main__ import main, parse_options


def test_options_map_onto_host_options():
    options = parse_options(["app", "--port", "8080", "--host", "0.0.0.0", "--enable-auth",
                             "--max-body-size", "1MB", "-v", "--no-color"])
    assert (options.app_dir, options.port, options.host) == ("app", 8080, "0.0.0.0")
    assert options.enable_auth and options.max_body_size == "1MB"
    assert options.worker_log_level == "Debug" and options.color is False


def test_defaults_are_left_to_the_configuration():
    options = parse_options([])
    assert options.app_dir is None and options.port is None and options.color is None


def test_a_configuration_error_is_printed_and_exits_with_1(tmp_path, capsys):
    (tmp_path / "local.settings.json").write_text('{"IsEncrypted": true}')
    assert main([str(tmp_path)]) == 1
    assert "IsEncrypted" in capsys.readouterr().err


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as info:
        parse_options(["--port", "many"])
    assert info.value.code == 2
