"""Timers with @app.retry, in the shape of the Python developer guide's retry example: the
function fails until its retry_context says it is the last allowed attempt."""

import logging

import azure.functions as func

app = func.FunctionApp()

NEVER = "0 0 0 1 1 *"  # only runOnStartup fires during a test


def _attempt(name: str, context: func.Context) -> None:
    retry = context.retry_context
    logging.info(
        "%s attempt %d of max %d, last error %r",
        name,
        retry.retry_count,
        retry.max_retry_count,
        retry.exception.message,
    )
    if retry.retry_count < retry.max_retry_count:
        raise RuntimeError(f"{name} failed at attempt {retry.retry_count}")


@app.timer_trigger(schedule=NEVER, arg_name="timer", run_on_startup=True)
@app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:01")
def fixed_timer(timer: func.TimerRequest, context: func.Context) -> None:
    _attempt("fixed", context)


@app.timer_trigger(schedule=NEVER, arg_name="timer", run_on_startup=True)
@app.retry(
    strategy="exponential_backoff", max_retry_count="1", minimum_interval="00:00:01", maximum_interval="00:00:05"
)
def backoff_timer(timer: func.TimerRequest, context: func.Context) -> None:
    _attempt("backoff", context)


@app.timer_trigger(schedule=NEVER, arg_name="timer", run_on_startup=True)
def plain_timer(timer: func.TimerRequest, context: func.Context) -> None:
    _attempt("plain", context)
    raise RuntimeError("plain fails once")
