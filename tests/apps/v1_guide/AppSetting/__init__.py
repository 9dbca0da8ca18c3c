import os

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    my_app_setting_value = os.environ["myAppSetting"]
    return f'myAppSetting = {my_app_setting_value}'
