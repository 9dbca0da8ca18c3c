"""Background functions of the jobs blueprint."""
import logging

import azure.functions as func

bp = func.Blueprint()


@bp.queue_trigger(arg_name="job", queue_name="jobs", connection="AzureWebJobsStorage")
async def run_job(job: func.QueueMessage) -> None:
    logging.info("running job %s", job.get_body().decode())


@bp.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:01:00")
@bp.timer_trigger(arg_name="timer", schedule="0 0 3 * * *")
def nightly(timer: func.TimerRequest) -> None:
    logging.info("nightly run")
