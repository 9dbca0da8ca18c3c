"""Timers for the local host's tests: every second (from a setting), a slow one that overruns
its interval (so the catch-up firing is past due), a TimeSpan one with runOnStartup."""
import logging
import time

import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(arg_name="timer", schedule="%TICK_SCHEDULE%")
def tick(timer: func.TimerRequest) -> None:
    logging.info("tick past_due=%s", timer.past_due)


@app.timer_trigger(arg_name="timer", schedule="*/2 * * * * *")
def slow(timer: func.TimerRequest) -> None:
    logging.info("slow past_due=%s", timer.past_due)
    time.sleep(2.6)


@app.timer_trigger(arg_name="timer", schedule="01:00:00", run_on_startup=True)
def startup(timer: func.TimerRequest) -> None:
    logging.info("startup ran, status=%s", timer.schedule_status)
