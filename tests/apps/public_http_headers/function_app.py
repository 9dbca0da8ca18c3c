"""A download function that names the file in Content-Disposition, as file-serving samples do:
an accented file name written as-is is not valid in an HTTP header; the RFC 5987 form is."""

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
