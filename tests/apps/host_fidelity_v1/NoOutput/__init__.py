import logging

import azure.functions as func


def main(req: func.HttpRequest) -> None:
    logging.info("NoOutput ran")  # no http output binding: the host answers 204
