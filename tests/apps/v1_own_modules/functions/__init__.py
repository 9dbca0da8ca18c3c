from .helpers import shout  # noqa: F401
