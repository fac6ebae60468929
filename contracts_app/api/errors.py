"""Every API error is JSON `{"error": {"code", "message"}}`: never an HTML page, never a stack trace."""
from __future__ import annotations

from flask import Response, jsonify, request

API_PREFIX = "/api/"
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         406: "not_acceptable", 413: "too_large", 429: "too_many_requests", 500: "server_error"}
MESSAGES = {404: "There is nothing at this address (or it is not yours to see).",
            405: "The API is read-only: use GET.", 500: "Something went wrong on our side; nothing was changed."}


class ApiError(Exception):
    """Raised by API code; the blueprint answers it as JSON with this status."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, "The request was refused.")


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(status: int, message: str | None = None, code: str | None = None) -> Response:
    response = jsonify({"error": {"code": code or CODES.get(status, "error"),
                                  "message": message or MESSAGES.get(status, "The request was refused.")}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    response.headers["Cache-Control"] = "no-store"
    return response
