"""Run it locally with: POST /admin/functions/ProcessOrder {"input": "{\"item\": \"book\"}"}."""

import logging

import azure.functions as func


def main(msg: func.QueueMessage) -> None:
    logging.info("processing order %s", msg.get_body().decode())
