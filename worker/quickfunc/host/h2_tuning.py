"""HTTP/2 settings and costs of the host's gRPC server for large messages: workers may send DATA
frames of up to 1 MiB (a 16 MiB response: 16 frames to parse instead of 1,024), and received DATA
frames are no longer hex-encoded whole for a trace line that is never written."""

from __future__ import annotations

from typing import Any

from h2.settings import SettingCodes
from hyperframe import frame as frames

__all__ = ["FRAME_SIZE", "take_large_frames"]

#: the largest DATA frame a worker may send the host (HTTP/2 allows 16 KiB to 16 MiB)
FRAME_SIZE = 2**20


def take_large_frames(protocol: Any) -> None:
    """Tell the worker on a new connection (grpclib's H2Protocol, connected) that it may send
    frames of up to FRAME_SIZE; grpclib offers no setting for it, so its h2 connection is asked."""
    connection = protocol.connection
    connection._connection.update_settings({SettingCodes.MAX_FRAME_SIZE: FRAME_SIZE})
    connection.flush()


def _short_data_repr(self: frames.Frame) -> str:
    # h2 writes repr(frame) for its trace log whether or not that log is on; hyperframe's default
    # body text serialises the whole payload and hex-encodes it, only to keep its first bytes
    return frames._raw_data_repr(bytes(getattr(self, "data", b"")[:11]))


# only where hyperframe still has the default (another module may have set a cheaper one already)
if getattr(frames.DataFrame, "_body_repr", None) is frames.Frame._body_repr and hasattr(frames, "_raw_data_repr"):
    frames.DataFrame._body_repr = _short_data_repr  # type: ignore[method-assign]
