def main(item: str, extra: bytes) -> str:
    return f'{item} with {len(extra)} extra bytes'
