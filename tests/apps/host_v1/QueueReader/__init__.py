import logging

import azure.functions as func


def main(msg: func.QueueMessage) -> None:
    logging.info("QueueReader got %s", msg.get_body().decode())
