import logging

import azure.functions as func


def main(mytimer: func.TimerRequest) -> None:
    logging.info('past due: %s', mytimer.past_due)
