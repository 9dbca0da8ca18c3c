import logging

import azure.functions as func

logger = logging.getLogger('contoso.orders')


def main(req: func.HttpRequest) -> str:
    logger.info('order %s received', req.params.get('order'))
    logger.warning('stock is low')
    return 'ok'
