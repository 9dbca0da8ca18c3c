"""werkzeug's package __init__ deferred: azure.functions imports without it, user code sees it all.

Each case runs in a fresh interpreter, since this one has imported werkzeug already.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    script = "import quickfunc.lazy_werkzeug as lazy\nassert lazy.install()\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_azure_functions_imports_without_the_dev_server_test_client_or_wrappers():
    out = run("""
        import sys
        import azure.functions as func
        func.HttpRequest("GET", "http://x/", headers={"a": "b"}, body=b"")
        print(sorted(m for m in ("werkzeug.serving", "werkzeug.test", "werkzeug.wrappers",
                                 "http.server") if m in sys.modules))
    """)
    assert out == "[]"


def test_every_name_of_the_package_is_there_on_first_use():
    out = run("""
        import azure.functions
        import werkzeug
        from werkzeug import run_simple, Request
        from werkzeug.serving import run_simple as real
        assert run_simple is real and werkzeug.Client.__name__ == "Client"
        assert werkzeug.Response.__module__ == "werkzeug.wrappers.response"
        assert "__getattr__" not in vars(werkzeug)
        print(werkzeug.__spec__.loader is werkzeug.__loader__, type(werkzeug.__loader__).__name__)
    """)
    assert out == "True SourceFileLoader"


def test_submodules_reached_as_attributes_and_missing_names_fail_as_usual():
    out = run("""
        import werkzeug
        assert werkzeug.exceptions.NotFound.code == 404  # a submodule, imported on access
        assert "werkzeug.serving" not in __import__("sys").modules
        try:
            werkzeug.no_such_name
        except AttributeError as exc:
            print(exc)
    """)
    assert out == "module 'werkzeug' has no attribute 'no_such_name'"


def test_star_import_and_threads_racing_for_the_first_name():
    out = run("""
        import threading
        import werkzeug
        got = []
        threads = [threading.Thread(target=lambda: got.append(werkzeug.Request)) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join(10)
        assert len(got) == 8 and len(set(got)) == 1
        from werkzeug import *
        print(Request is got[0], Client.__name__)
    """)
    assert out == "True Client"


def test_flask_works_on_top_of_it():
    out = run("""
        import azure.functions
        import flask
        app = flask.Flask("x")
        @app.get("/")
        def index():
            return "hi"
        print(app.test_client().get("/").data.decode())
    """)
    assert out == "hi"


def test_install_is_a_no_op_once_werkzeug_is_imported():
    done = subprocess.run(
        [sys.executable, "-c", "import werkzeug, quickfunc.lazy_werkzeug as l; print(l.install())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr
