import azure.functions as func


def main(req: func.HttpRequest, msg: func.Out[func.QueueMessage]) -> str:
    name = req.params.get('name')
    msg.set(func.QueueMessage(body=f'queued {name}'))
    return f'Hello {name}, your message is on the queue'
