import azure.functions as func
import quickfunc_not_installed_pkg


def main(req: func.HttpRequest) -> str:
    return quickfunc_not_installed_pkg.VERSION
