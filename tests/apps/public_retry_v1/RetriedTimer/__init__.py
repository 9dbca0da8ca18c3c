"""A v1 timer whose function.json has a retry section: fails once, then succeeds."""

import logging

import azure.functions as func


def main(timer: func.TimerRequest, context: func.Context) -> None:
    retry = context.retry_context
    logging.info("v1 attempt %d of max %d", retry.retry_count, retry.max_retry_count)
    if retry.retry_count == 0:
        raise RuntimeError("first attempt fails")
