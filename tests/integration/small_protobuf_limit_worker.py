"""The worker as the host runs it, with protobuf's 2 GiB message limit lowered to 1 MiB.

Lets a test show what a reply over that limit gets without allocating 2 GiB. Run as a script
with the host's arguments; everything else is `python -m quickfunc`.
"""

import runpy

from quickfunc import transport

transport.PROTOBUF_LIMIT = 1024 * 1024
runpy.run_module("quickfunc", run_name="__main__", alter_sys=True)
