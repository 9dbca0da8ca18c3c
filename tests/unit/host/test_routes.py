"""Route templates: parameters, optional and default values, catch-all, constraints,
precedence, 404 versus 405; complex segments split as ASP.NET Core splits them, in linear time."""

from __future__ import annotations

import math
import time

import pytest

from quickfunc.host.routes import (
    MethodNotAllowed,
    RouteError,
    RouteMatch,
    RouteTable,
    parse_template,
)


def _values(template: str, path: str):
    return parse_template(template).match(path)


@pytest.mark.parametrize(
    "template, path, expected",
    [
        ("api/hello", "api/hello", {}),
        ("api/hello", "API/Hello", {}),  # literals match in any case
        ("api/hello", "api/hello/", {}),  # a trailing slash is ignored
        ("api/users/{id}", "api/users/7", {"id": "7"}),
        ("api/users/{id}/items/{item}", "api/users/7/items/x%20y", {"id": "7", "item": "x%20y"}),
        ("api/p/{x?}", "api/p", {}),
        ("api/p/{x?}", "api/p/1", {"x": "1"}),
        ("api/d/{a=1}/{b=two}", "api/d", {"a": "1", "b": "two"}),
        ("api/d/{a=1}/{b=two}", "api/d/9", {"a": "9", "b": "two"}),
        ("api/files/{*path}", "api/files/a/b/c.txt", {"path": "a/b/c.txt"}),
        ("api/files/{**path}", "api/files", {}),
        ("api/f/{name}.{ext}", "api/f/archive.tar.gz", {"name": "archive.tar", "ext": "gz"}),
        ("api/v{version:int}/x", "api/v2/x", {"version": "2"}),
        ("", "", {}),
    ],
)
def test_templates_match_and_extract_values(template, path, expected):
    assert _values(template, path) == expected


@pytest.mark.parametrize(
    "template, path",
    [
        ("api/hello", "api/hello/more"),
        ("api/users/{id}", "api/users"),
        ("api/users/{id}", "api/users/1/2"),
        ("api/p/{x?}", "api/p/1/2"),
    ],
)
def test_templates_reject_other_paths(template, path):
    assert _values(template, path) is None


@pytest.mark.parametrize(
    "constraint, good, bad",
    [
        ("int", ["0", "-5", "2147483647"], ["x", "1.5", "2147483648"]),
        ("long", ["9223372036854775807"], ["9223372036854775808", "a"]),
        ("bool", ["true", "False"], ["yes", "1"]),
        ("double", ["1.5", "-2", "3e5"], ["nan", "x", "inf"]),
        ("float", ["0.25"], ["one"]),
        ("decimal", ["10.00"], ["ten"]),
        ("datetime", ["2024-01-31", "2024-01-31T10:00:00", "2024-01-31 10:00"], ["31st Jan", "2024-13-01"]),
        ("guid", ["0f8fad5b-d9cb-469f-a165-70867728950e"], ["not-a-guid"]),
        ("alpha", ["abcXYZ"], ["abc1", "a-b"]),
        ("min(10)", ["10", "99"], ["9", "x"]),
        ("max(10)", ["10", "-3"], ["11"]),
        ("range(1,5)", ["1", "5"], ["0", "6"]),
        ("minlength(3)", ["abc"], ["ab"]),
        ("maxlength(3)", ["abc"], ["abcd"]),
        ("length(2)", ["ab"], ["a", "abc"]),
        ("length(2,3)", ["ab", "abc"], ["a", "abcd"]),
        ("regex(^\\d{{3}}-\\d{{4}}$)", ["555-1234"], ["55-1234", "555-12345"]),
        ("int:min(1)", ["1", "50"], ["0", "a"]),
    ],
)
def test_constraints(constraint, good, bad):
    template = parse_template(f"c/{{v:{constraint}}}")
    for value in good:
        assert template.match(f"c/{value}") == {"v": value}, value
    for value in bad:
        assert template.match(f"c/{value}") is None, value


def test_an_optional_constrained_parameter():
    template = parse_template("c/{id:int?}")
    assert template.match("c") == {}
    assert template.match("c/3") == {"id": "3"}
    assert template.match("c/x") is None


@pytest.mark.parametrize(
    "template, problem",
    [
        ("a/{x", "unclosed"),
        ("a/x}", "unmatched"),
        ("a/{}", "empty parameter"),
        ("a/{x:nope}", "unknown constraint 'nope'"),
        ("a/{x:min(a)}", "whole-number"),
        ("a/{x:regex([)}", "not a valid regular expression"),
        ("a/{*x}/b", "must be the last segment"),
        ("a/{x?}/b", "followed only by optional"),
        ("a/{x}{y}", "separated by literal text"),
        ("a/{x}/{X}", "appears more than once"),
        ("a//b", "empty segment"),
        ("a/b?c", "'?'"),
        ("a/{x}-{y?}", "must follow a period"),
        ("a/{x?}.{y}", "must be the last part"),
        ("a/{x?=1}", "cannot be both optional"),
        ("a/{*x?}", "cannot be optional"),
    ],
)
def test_bad_templates_say_what_is_wrong(template, problem):
    with pytest.raises(RouteError) as info:
        parse_template(template)
    assert problem in str(info.value)
    assert repr(template) in str(info.value)


def _target(table: RouteTable[str], path: str, method: str) -> str:
    """The target of the route that matches, checked to be a match (not None nor a 405)."""
    match = table.match(path, method)
    assert isinstance(match, RouteMatch), (path, method, match)
    return match.target


def test_the_most_specific_route_wins_whatever_the_order():
    table: RouteTable[str] = RouteTable()
    table.add("api/{*rest}", None, "catch-all")
    table.add("api/users/{name}", None, "param")
    table.add("api/users/{id:int}", None, "constrained")
    table.add("api/users/me", None, "literal")
    assert _target(table, "api/users/me", "GET") == "literal"
    assert _target(table, "api/users/5", "GET") == "constrained"
    assert _target(table, "api/users/bob", "GET") == "param"
    assert _target(table, "api/other/thing", "GET") == "catch-all"


def test_none_when_no_route_matches_and_405_when_only_the_method_is_wrong():
    table: RouteTable[str] = RouteTable()
    table.add("api/a", ["get"], "get-a")
    table.add("api/a", ["POST", "PUT"], "post-a")
    assert table.match("api/b", "GET") is None
    result = table.match("api/a", "DELETE")
    assert isinstance(result, MethodNotAllowed)
    assert result.allowed == ["GET", "POST", "PUT"]
    match = table.match("api/a", "put")
    assert isinstance(match, RouteMatch) and match.target == "post-a"


def test_a_method_free_route_takes_every_method():
    table: RouteTable[str] = RouteTable()
    table.add("api/any", [], "any")
    assert _target(table, "api/any", "PATCH") == "any"


# ---- complex segments: ASP.NET Core's outcomes (its TemplateMatcher tests give these cases) ----


@pytest.mark.parametrize(
    "template, path, expected",
    [
        # each literal is found at its last place, right to left: the leftmost parameter keeps the rest
        ("m/{a}-{b}", "m/x-y-z", {"a": "x-y", "b": "z"}),
        ("m/{a}-{b}-{c}-{d}", "m/1-2-3-4-5", {"a": "1-2", "b": "3", "c": "4", "d": "5"}),
        ("language/{lang}-{region}", "language/en-US", {"lang": "en", "region": "US"}),
        ("language/{lang}-{region}a", "language/en-USa", {"lang": "en", "region": "US"}),
        ("language/a{lang}-{region}a", "language/aen-USa", {"lang": "en", "region": "US"}),
        ("language/{lang}-", "language/en-", {"lang": "en"}),
        ("{prefix}x{suffix}", "xxxxxxxxxx", {"prefix": "xxxxxxxx", "suffix": "x"}),
        ("{prefix}aaa{suffix}", "aaaaa", {"prefix": "a", "suffix": "a"}),
        ("{prefix}xyz{suffix}", "xyzxyzxyz", {"prefix": "xyz", "suffix": "xyz"}),
        ("{controller}..mvc/{id}", "Home..mvc/123", {"controller": "Home", "id": "123"}),
        ("A{x}B", "aqqb", {"x": "qq"}),  # literals in any case
        # an optional last parameter after a period
        ("moo/{p1}.{p2?}", "moo/foo.bar", {"p1": "foo", "p2": "bar"}),
        ("moo/{p1}.{p2?}", "moo/foo", {"p1": "foo"}),
        ("moo/{p1}.{p2?}", "moo/foo..bar", {"p1": "foo.", "p2": "bar"}),
        ("moo/{p1}.{p2?}", "moo/....", {"p1": "..", "p2": "."}),
        ("moo/{p1}.{p2?}", "moo/.bar", {"p1": ".bar"}),
        ("moo/foo.{p1}.{p2?}", "moo/foo.moo", {"p1": "moo"}),
        ("moo/.{p2?}", "moo/.foo", {"p2": "foo"}),
        ("moo/{p1}.{p2}.{p3?}", "moo/foo.moo", {"p1": "foo", "p2": "moo"}),
        ("{p1}.{p2?}/{p3}", "foo/bar", {"p1": "foo", "p3": "bar"}),
    ],
)
def test_complex_segments_split_as_aspnet_core_splits_them(template, path, expected):
    assert _values(template, path) == expected


@pytest.mark.parametrize(
    "template, path",
    [
        ("language/{lang}-{region}", "language/-"),  # every part needs a value
        ("language/a{lang}-{region}a", "language/a-USa"),
        ("language/a{lang}-{region}a", "language/aen-a"),
        ("moo/{p1}.{p2?}", "moo/foo."),
        ("moo/{p1}.{p2?}", "moo/."),
        ("moo/.{p2?}", "moo"),
        ("moo/.{p2?}", "moo/."),
        ("moo/{p1}.{p2}.{p3?}", "moo/foo.moo."),
        ("moo/foo.{p2}.{p3?}", "moo/kungfoo.moo"),
        ("{p1}.{p2?}/{p3}", "foo./bar"),
        ("{p1}.{p2}/{p3}", ".foo/bar"),
        ("v{version}", "vvv"),  # a leading literal is looked for from the right too
        ("{a:int}-{b}", "1-x-2"),  # a=1-x fails int: constraints do not make it backtrack
    ],
)
def test_complex_segments_that_aspnet_core_does_not_match(template, path):
    assert _values(template, path) is None


@pytest.mark.parametrize(
    "template, path, expected",
    [
        ("a/b", "a/b/", {}),  # one trailing '/' is ignored
        ("a/b", "/a/b", {}),
        ("a/b", "a//b", None),  # an empty segment matches nothing
        ("a/b", "a/b//", None),
        ("{c?}/{a?}/{i?}", "a//", None),
        ("{c?}/{a?}/{i?}", "a/b/", {"c": "a", "a": "b"}),
        ("f/{*rest}", "f/a/b/", {"rest": "a/b/"}),  # a catch-all keeps everything, '/' included
        ("f/{*rest}", "f//x", {"rest": "/x"}),
        ("f/{*rest}", "f/", {}),
        ("f/{*rest=all}", "f", {"rest": "all"}),
    ],
)
def test_segments_are_split_as_aspnet_core_splits_them(template, path, expected):
    assert _values(template, path) == expected


def _best_of(template, path: str, reps: int, budget: float) -> float:
    """Best time of a few batches of ``reps`` matches; fails as soon as one batch runs past
    ``budget`` seconds (a backtracking matcher never finishes the larger sizes)."""
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            template.match(path)
            if time.perf_counter() - start > budget:
                pytest.fail(f"{reps} matches of a {len(path)}-character path took over {budget}s")
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "template, shape",
    [
        # what made the old regex try every split (about n**4 steps): a failure after the segment
        ("multi/{a}-{b}-{c}-{d}", lambda n: "multi/" + "-" * n + "/x"),
        ("multi/{a}-{b}-{c}-{d}/end", lambda n: "multi/" + "-" * n + "/nope"),
        ("multi/{a}-{b}-{c}-{d}/end", lambda n: "multi/" + "-a" * (n // 2) + "/nope"),
        ("multi/{a}-{b}-{c}-{d}/end", lambda n: "multi/" + "a" * n + "/end"),  # one failed search
    ],
    ids=["extra-segment", "dashes", "dash-a", "no-dash"],
)
def test_complex_segment_matching_time_grows_linearly(template, shape):
    compiled = parse_template(template)
    for n, reps in ((64, 300), (2000, 40)):
        small = _best_of(compiled, shape(n), reps, budget=1.0)
        large = _best_of(compiled, shape(4 * n), reps, budget=1.0)
        # linear work gives about 4x (less while the fixed cost dominates); n**2 would give 16x
        assert large < 8 * small + 1e-4, (n, small, large)
