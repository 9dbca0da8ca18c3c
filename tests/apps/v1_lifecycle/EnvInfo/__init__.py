import json
import os

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        'new_setting': os.environ.get('NEW_SETTING'),
        'old_setting': os.environ.get('OLD_SETTING'),
        'cwd': os.getcwd(),
    }), mimetype='application/json')
