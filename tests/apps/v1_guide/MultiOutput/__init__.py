import json

import azure.functions as func


def main(req: func.HttpRequest,
         queuemsg: func.Out[str],
         outblob: func.Out[bytes],
         tablerow: func.Out[str]) -> func.HttpResponse:
    order = req.get_json()
    queuemsg.set(order['id'])
    outblob.set(req.get_body())
    tablerow.set(json.dumps({'PartitionKey': 'orders', 'RowKey': order['id']}))
    return func.HttpResponse(f"order {order['id']} accepted", status_code=202)
