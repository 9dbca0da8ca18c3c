import json
import logging

import azure.functions as func


def main(msg: func.QueueMessage) -> str:
    result = json.dumps({
        'id': msg.id,
        'body': msg.get_body().decode('utf-8'),
        'json': msg.get_json(),
        'dequeue_count': msg.dequeue_count,
        'expiration_time': msg.expiration_time.isoformat() if msg.expiration_time else None,
        'insertion_time': msg.insertion_time.isoformat() if msg.insertion_time else None,
        'time_next_visible': msg.time_next_visible.isoformat() if msg.time_next_visible else None,
        'pop_receipt': msg.pop_receipt,
    })
    logging.info(result)
    return result
