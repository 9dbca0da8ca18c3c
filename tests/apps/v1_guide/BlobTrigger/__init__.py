import json
import logging

import azure.functions as func


def main(myblob: func.InputStream, report: func.Out[str]):
    content = myblob.read()
    logging.info(f"Python blob trigger function processed blob \n"
                 f"Name: {myblob.name}\n"
                 f"Blob Size: {myblob.length} bytes")
    report.set(json.dumps({
        'name': myblob.name,
        'uri': myblob.uri,
        'length': myblob.length,
        'content': content.decode('utf-8'),
    }))
