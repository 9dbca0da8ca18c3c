import logging

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    logging.debug('debug message')
    logging.info('info message')
    logging.warning('warning message')
    logging.error('error message')
    logging.critical('critical message')
    try:
        1 / 0
    except ZeroDivisionError:
        logging.exception('exception message')
    return 'logged'
