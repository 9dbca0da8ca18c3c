"""Settings are read in one place, with documented defaults and clear warnings."""

from quickfunc.settings import DEFAULT_SCRIPT_FILE, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert settings.threadpool_thread_count is None
    assert settings.debug_logging is False
    assert settings.script_file_name == DEFAULT_SCRIPT_FILE
    assert settings.init_indexing is False
    assert settings.warnings == ()


def test_values_are_read():
    settings = Settings.from_env(
        {
            "PYTHON_THREADPOOL_THREAD_COUNT": "7",
            "PYTHON_ENABLE_DEBUG_LOGGING": "Yes",
            "PYTHON_SCRIPT_FILE_NAME": "app.py",
            "PYTHON_ENABLE_INIT_INDEXING": "1",
            "AzureWebJobsScriptRoot": "/home/site/wwwroot",
        }
    )
    assert settings.threadpool_thread_count == 7
    assert settings.debug_logging and settings.init_indexing
    assert settings.script_file_name == "app.py"
    assert settings.script_root == "/home/site/wwwroot"


def test_invalid_thread_count_warns_and_uses_default():
    settings = Settings.from_env({"PYTHON_THREADPOOL_THREAD_COUNT": "zero"})
    assert settings.threadpool_thread_count is None
    assert any("PYTHON_THREADPOOL_THREAD_COUNT" in w for w in settings.warnings)
    assert Settings.from_env({"PYTHON_THREADPOOL_THREAD_COUNT": "0"}).threadpool_thread_count is None


def test_false_like_and_unknown_flag_words():
    assert Settings.from_env({"PYTHON_ENABLE_DEBUG_LOGGING": "off"}).debug_logging is False
    assert Settings.from_env({"PYTHON_ENABLE_DEBUG_LOGGING": " TRUE "}).debug_logging is True


def test_event_loop_choice():
    assert Settings.from_env({}).event_loop == "auto"
    assert Settings.from_env({"PYTHON_WORKER_EVENT_LOOP": " UVLOOP "}).event_loop == "uvloop"
    bad = Settings.from_env({"PYTHON_WORKER_EVENT_LOOP": "trio"})
    assert bad.event_loop == "auto" and any("PYTHON_WORKER_EVENT_LOOP" in w for w in bad.warnings)


def test_the_chosen_event_loop_is_built():
    import asyncio

    from quickfunc.lifecycle import new_event_loop

    plain = new_event_loop("asyncio")
    try:
        assert type(plain).__module__.startswith("asyncio")
    finally:
        plain.close()
    try:
        import uvloop  # noqa: F401
    except ImportError:
        expected = "asyncio"
    else:
        expected = "uvloop"
    auto = new_event_loop("auto")
    try:
        assert type(auto).__module__.split(".")[0] == expected
    finally:
        auto.close()
    assert isinstance(auto, asyncio.AbstractEventLoop)


def test_init_timeout_and_shutdown_grace():
    from quickfunc.settings import DEFAULT_INIT_TIMEOUT, DEFAULT_SHUTDOWN_GRACE

    defaults = Settings.from_env({})
    assert (defaults.init_timeout, defaults.shutdown_grace) == (DEFAULT_INIT_TIMEOUT, DEFAULT_SHUTDOWN_GRACE)
    given = Settings.from_env(
        {"PYTHON_WORKER_INIT_TIMEOUT_SECONDS": "0", "PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS": "2.5"}
    )
    assert (given.init_timeout, given.shutdown_grace) == (0.0, 2.5)


def test_durations_that_are_not_finite_non_negative_numbers_warn_and_use_the_default():
    from quickfunc.settings import DEFAULT_INIT_TIMEOUT, DEFAULT_SHUTDOWN_GRACE

    for raw in ("-1", "soon", "nan", "inf"):
        settings = Settings.from_env(
            {"PYTHON_WORKER_INIT_TIMEOUT_SECONDS": raw, "PYTHON_WORKER_SHUTDOWN_GRACE_SECONDS": raw}
        )
        assert settings.init_timeout == DEFAULT_INIT_TIMEOUT, raw
        assert settings.shutdown_grace == DEFAULT_SHUTDOWN_GRACE, raw
        assert len([w for w in settings.warnings if "_SECONDS=" in w]) == 2, settings.warnings


def test_blocked_report_interval_and_load_timeout():
    defaults = Settings.from_env({})
    assert defaults.blocked_report_interval == 10.0 and defaults.function_load_timeout == 50.0
    settings = Settings.from_env(
        {"PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "2.5", "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "0"}
    )
    assert settings.blocked_report_interval == 2.5 and settings.function_load_timeout == 0.0
    assert settings.warnings == ()
    bad = Settings.from_env(
        {"PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS": "0", "PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS": "soon"}
    )
    assert bad.blocked_report_interval == 10.0 and bad.function_load_timeout == 50.0
    assert any("PYTHON_BLOCKED_REPORT_INTERVAL_SECONDS" in w for w in bad.warnings)
    assert any("PYTHON_FUNCTION_LOAD_TIMEOUT_SECONDS" in w for w in bad.warnings)
