"""Headers as samples set them: a download names its file in Content-Disposition (an accented
name written as-is is not valid in an HTTP header; the RFC 5987 form is), a login sets cookies."""

from urllib.parse import quote

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="download")
def download(req: func.HttpRequest) -> func.HttpResponse:
    name = req.params.get("name", "résumé.pdf")
    if req.params.get("encoded"):
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    else:
        disposition = f'attachment; filename="{name}"'
    return func.HttpResponse(b"%PDF", mimetype="application/pdf", headers={"Content-Disposition": disposition})


@app.route(route="login")
def login(req: func.HttpRequest) -> func.HttpResponse:
    """Sets a session cookie holding base64 (with '=' padding) and one holding JSON."""
    response = func.HttpResponse("welcome")
    response.headers.add("Set-Cookie", "session=c2Vzc2lvbi0x==; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", 'prefs="{\\"theme\\": \\"dark\\"}"; Path=/')
    return response
