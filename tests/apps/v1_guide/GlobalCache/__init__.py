import azure.functions as func

# Module-level state survives between invocations in the same worker process.
CACHE = {'count': 0}


def main(req: func.HttpRequest) -> str:
    CACHE['count'] += 1
    return str(CACHE['count'])
