import azure.functions as func

from __app__.SharedCode import greetings
from . import helper


def main(req: func.HttpRequest) -> str:
    return f'{greetings.greet(req.params.get("name"))} {helper.shout("done")}'
