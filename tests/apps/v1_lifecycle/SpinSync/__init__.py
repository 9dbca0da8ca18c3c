import logging
import time

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    """Keeps its thread busy (CPU) and never looks at cancellation; bounded by ?seconds."""
    seconds = float(req.params.get('seconds', '1'))
    logging.info('started, spinning %s s', seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return f'spun {seconds}'
