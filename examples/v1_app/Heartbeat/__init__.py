"""Every minute, at second 0 (NCRONTAB: second minute hour day month day-of-week)."""

import logging

import azure.functions as func


def main(timer: func.TimerRequest) -> None:
    logging.info("heartbeat (past due: %s)", timer.past_due)
