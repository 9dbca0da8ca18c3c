import json

import azure.functions as func


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    retry = context.retry_context
    return func.HttpResponse(json.dumps({
        'invocation_id': context.invocation_id,
        'function_name': context.function_name,
        'function_directory': context.function_directory,
        'trace_parent': context.trace_context.trace_parent,
        'trace_state': context.trace_context.trace_state,
        'trace_attributes': dict(context.trace_context.attributes),
        'retry_count': retry.retry_count,
        'max_retry_count': retry.max_retry_count,
        'retry_error': retry.exception.message if retry.exception else None,
    }), mimetype='application/json')
