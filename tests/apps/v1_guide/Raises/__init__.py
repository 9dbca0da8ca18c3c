import azure.functions as func


def validate(value):
    if not value.isdigit():
        raise ValueError(f'not a number: {value!r}')
    return int(value)


def main(req: func.HttpRequest) -> str:
    number = validate(req.params.get('n', ''))
    return str(number * 2)
