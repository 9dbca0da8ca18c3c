"""The local host's command line."""

from __future__ import annotations

import pytest

from quickfunc.host.__main__ import main, parse_options


def test_options_map_onto_host_options():
    options = parse_options(
        ["app", "--port", "8080", "--host", "0.0.0.0", "--enable-auth", "--max-body-size", "1MB", "-v", "--no-color"]
    )
    assert (options.app_dir, options.port, options.host) == ("app", 8080, "0.0.0.0")
    assert options.enable_auth and options.max_body_size == "1MB"
    assert options.worker_log_level == "Debug" and options.color is False
    bodies = parse_options(["--max-body-memory", "1GB", "--body-wait-timeout", "2.5"])
    assert (bodies.max_body_memory, bodies.body_wait_timeout) == ("1GB", 2.5)


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


@pytest.mark.parametrize("command", [["-m", "quickfunc.host"], ["-m", "quickfunc", "start"]])
def test_without_the_host_extra_one_line_says_which_extra_to_install(tmp_path, command):
    """aiohttp and croniter hidden as if not installed: one line naming the extra, exit 1."""
    import subprocess
    import sys

    hide = (
        "import runpy, sys; sys.modules['aiohttp'] = None; sys.modules['croniter'] = None; "
        "sys.argv = ['x', *sys.argv[1:]]; "
    )
    if command[1] == "quickfunc":
        code = hide + "from quickfunc.command import main; sys.exit(main(sys.argv[1:]))"
        args = ["start", str(tmp_path)]
    else:
        code = hide + "runpy.run_module('quickfunc.host', run_name='__main__')"
        args = [str(tmp_path)]
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'host' extra" in lines[0] and "aiohttp, croniter" in lines[0]
    assert "pip install 'quickfunc-worker[host]'" in lines[0]


def test_quickfunc_command_lists_its_subcommands_and_refuses_unknown_ones(capsys):
    from quickfunc.command import main as quickfunc

    assert quickfunc([]) == 2
    assert "start [APP_DIR]" in capsys.readouterr().out
    assert quickfunc(["serve"]) == 2
    assert "unknown command 'serve'" in capsys.readouterr().err
    assert quickfunc(["version"]) == 0
    assert capsys.readouterr().out.startswith("quickfunc ")
