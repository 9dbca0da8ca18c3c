"""--functions: serve only the named functions; an unknown name is a start-up error listing the
app's functions."""

from __future__ import annotations

import pytest

from quickfunc.host.__main__ import parse_options
from quickfunc.host.catalog import Catalog, FunctionSpec, only_functions
from quickfunc.host.config import load_config
from quickfunc.protos import pb


def _catalog(*names: str) -> Catalog:
    return Catalog("v2", [FunctionSpec(n, n, pb.RpcFunctionMetadata(name=n), []) for n in names])


def test_only_the_named_functions_are_kept_and_the_others_listed_as_skipped():
    kept = only_functions(_catalog("hello", "forward", "yearly"), ["Yearly", "hello"])
    assert [f.name for f in kept.functions] == ["hello", "yearly"]
    assert kept.skipped == ["forward"]


def test_no_names_keeps_every_function():
    catalog = _catalog("a", "b")
    assert only_functions(catalog, []) is catalog


def test_an_unknown_name_is_an_error_naming_it_and_the_functions_found():
    with pytest.raises(
        ValueError, match=r"--functions names nope, which the app does not have; its functions are: a, b"
    ):
        only_functions(_catalog("a", "b"), ["a", "nope"])


def test_the_option_takes_several_names(tmp_path):
    config = load_config(parse_options([str(tmp_path), "--functions", "a", "b", "a"]), {})
    assert config.functions == ("a", "b")
