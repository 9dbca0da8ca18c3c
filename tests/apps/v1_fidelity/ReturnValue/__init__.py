"""Returns the value named by ?kind= through its http $return."""

from __app__.SharedCode.values import VALUES


def main(req):
    return VALUES[req.params["kind"]]()
