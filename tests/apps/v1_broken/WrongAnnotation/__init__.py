import azure.functions as func


def main(req: func.QueueMessage) -> str:
    return 'an http trigger is not a queue message'
