"""A v1 function whose folder name is not a Python identifier (the host accepts it)."""

from __app__.SharedCode.dump import describe

from ..SharedCode import values
from . import helper


def main(req) -> str:
    return helper.PREFIX + describe(req) + f" ({__name__}, {len(values.VALUES)} kinds)"
