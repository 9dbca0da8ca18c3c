"""Request paths as Kestrel gives them to routing: percent-decoded except %2F, invalid UTF-8
escapes kept, %00 refused, then dot segments removed."""

from __future__ import annotations

import pytest

from quickfunc.host.paths import PathError, decode_path, remove_dot_segments, routing_path


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/api/hello", "/api/hello"),
        ("/api/x%20y", "/api/x y"),
        ("/api/%C3%A9t%C3%A9", "/api/été"),
        ("/api/a%2Fb", "/api/a%2Fb"),  # an encoded '/' never becomes a separator
        ("/api/a%2fb", "/api/a%2fb"),
        ("/api/a%252Fb", "/api/a%2Fb"),  # %25 is '%'
        ("/api/%2E%2E", "/api/.."),
        ("/api/%FF", "/api/%FF"),  # not UTF-8: kept as it was
        ("/api/%E2%82%41", "/api/%E2%82A"),  # a cut-short sequence: kept, then 'A'
        ("/api/%zz%4", "/api/%zz%4"),  # not escapes at all
        ("/api/%1B%5B31m", "/api/\x1b[31m"),  # decoded; the console escapes it when printing
    ],
)
def test_paths_are_decoded_as_kestrel_decodes_them(raw, expected):
    assert decode_path(raw) == expected


def test_an_encoded_nul_is_refused():
    with pytest.raises(PathError, match="%00"):
        decode_path("/api/x%00y")


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/a/b/../c", "/a/c"),
        ("/a/./b", "/a/b"),
        ("/a/b/..", "/a/"),
        ("/a/b/.", "/a/b/"),
        ("/..", "/"),
        ("/../../etc/passwd", "/etc/passwd"),  # never above the root
        ("/a//../b", "/a/b"),
        ("/a/.../b", "/a/.../b"),  # not a dot segment
        ("/a/..b/.c", "/a/..b/.c"),
    ],
)
def test_dot_segments_are_removed(path, expected):
    assert remove_dot_segments(path) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/api/files/../../etc/passwd", "/etc/passwd"),
        ("/api/files/%2E%2E/%2e%2E/etc/passwd", "/etc/passwd"),  # decoded first, then removed
        ("/api/files/..%2F..%2Fetc%2Fpasswd", "/api/files/..%2F..%2Fetc%2Fpasswd"),  # one segment
        ("/api/files/a/%2e%2e/b", "/api/files/b"),
    ],
)
def test_a_route_never_sees_a_dot_segment(raw, expected):
    assert routing_path(raw) == expected
