"""The error catalogue of the reference server.

Every error a client can see is a subclass of :class:`FnError` with its HTTP status and message
as class attributes. One exception handler in ``api/http.py`` turns them into the swagger
``Error`` body ``{"message": ...}``; no other code builds error JSON.
"""

from __future__ import annotations


class ReferenceImplError(Exception):
    """Root of every exception the reference server raises on purpose."""


class FnError(ReferenceImplError):
    """Root of every error the server reports to a client."""

    status: int = 500
    message: str = "internal server error"
    headers: dict[str, str] = {}

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        if message is not None:
            self.message = message
        if headers:
            self.headers = {**type(self).headers, **headers}
        super().__init__(self.message)


class BadRequest(FnError):
    status = 400
    message = "Bad request"


class InvalidJSON(BadRequest):
    message = "Invalid JSON"


class InvalidCursor(BadRequest):
    message = "Invalid cursor"


class NotFound(FnError):
    status = 404
    message = "Not found"


class AppNotFound(NotFound):
    message = "App not found"


class FnNotFound(NotFound):
    message = "Fn not found"


class TriggerNotFound(NotFound):
    message = "Trigger not found"


class PathNotFound(NotFound):
    message = "Path not found"


class MethodNotAllowed(FnError):
    status = 405
    message = "Method not allowed"


class Conflict(FnError):
    status = 409
    message = "Conflict"


class AppAlreadyExists(Conflict):
    message = "App already exists"


class FnAlreadyExists(Conflict):
    message = "Fn with specified name already exists"


class TriggerAlreadyExists(Conflict):
    message = "Trigger already exists"


class TriggerSourceExists(Conflict):
    message = "Trigger with the same type and source exists on this app"


class AppNameImmutable(Conflict):
    message = "Could not update - name is immutable"


class RequestTooLarge(FnError):
    status = 413
    message = "Content-Length too large for this server"


class HeadersTooLarge(FnError):
    status = 431
    message = "Request headers too large for this server"


class ClientGone(FnError):
    """The client went away while its request was read; nobody will see the answer."""

    status = 499
    message = "Client closed the request"


class TooBusy(FnError):
    """No room for the call now (non-blocking mode with nothing evictable, or shutting down)."""

    status = 503
    message = "Timed out - server too busy"
    headers = {"Retry-After": "15"}


# --- errors of running a function (the agent) ------------------------------------------------


class CannotFit(BadRequest):
    message = "Requested CPU/Memory cannot be allocated"


class ImageNotFound(NotFound):
    message = "Failed to pull image"


class FunctionFailed(FnError):
    status = 502
    message = "function failed"


class InvalidFunctionResponse(FunctionFailed):
    message = "invalid function response"


class FunctionResponseLost(FunctionFailed):
    message = "error receiving function response"


class FunctionResponseTooLarge(FunctionFailed):
    message = "function response body too large"


class FunctionHeadersTooLarge(FunctionFailed):
    message = "function response header too large"


class ContainerInitFailed(FunctionFailed):
    message = (
        "Container failed to initialize, please ensure you are using the latest fdk "
        "and check the logs"
    )


class TimedOut(FnError):
    status = 504
    message = "Timed out"


class ContainerInitTimeout(TimedOut):
    message = (
        "Container initialization timed out, please ensure you are using the latest fdk "
        "and check the logs"
    )


class InvalidImage(BadRequest):
    """A call that names the pure runner's status image (reserved for Status)."""

    message = "Invalid Fn image"


class RemoteError(FnError):
    """An error another node answered (a pure runner's, through the LB), status kept."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None):
        self.status = status if 400 <= status <= 599 else 502
        super().__init__(message or "error from the runner", headers=headers)


class RunnerLost(FnError):
    """The runner that had the call stopped answering (the call may or may not have run)."""

    status = 502
    message = "the runner running the call went away"


class LookupFailed(FnError):
    """The API node a runner-side node reads from cannot be reached (after retries)."""

    status = 503
    message = "the API node cannot be reached"
    headers = {"Retry-After": "1"}


class ConfigError(ReferenceImplError):
    """The server's own configuration is invalid (raised at start, never sent to a client)."""


class DatastoreError(ReferenceImplError):
    """A datastore failed in a way that is not the client's fault."""


__all__ = [
    "AppAlreadyExists",
    "AppNameImmutable",
    "AppNotFound",
    "BadRequest",
    "CannotFit",
    "ClientGone",
    "ConfigError",
    "Conflict",
    "ContainerInitFailed",
    "ContainerInitTimeout",
    "DatastoreError",
    "FnAlreadyExists",
    "FnError",
    "FnNotFound",
    "FunctionFailed",
    "FunctionHeadersTooLarge",
    "FunctionResponseLost",
    "FunctionResponseTooLarge",
    "HeadersTooLarge",
    "ImageNotFound",
    "InvalidCursor",
    "InvalidFunctionResponse",
    "InvalidImage",
    "InvalidJSON",
    "LookupFailed",
    "MethodNotAllowed",
    "NotFound",
    "PathNotFound",
    "ReferenceImplError",
    "RemoteError",
    "RequestTooLarge",
    "RunnerLost",
    "TimedOut",
    "TooBusy",
    "TriggerAlreadyExists",
    "TriggerNotFound",
    "TriggerSourceExists",
]
