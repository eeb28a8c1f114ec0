"""The FastAPI application: :func:`create_app` wires settings, database,
middleware, error pages and the routers together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from .api.deps import AUTH_THREADS, LoginRequired, refuse_control_characters
from .api.routes import account, auth, pages, samples
from .audit_writer import AuditWriter
from .core.config import Settings, load_settings
from .db import make_engine, migrate, session_factory
from .jobs import JobRunner
from .middleware import BodySizeLimit, FrontDoor, SecurityHeaders, add_security_headers
from .reporting import warm_up
from .schemas import USERNAME_RULE
from .services import Guards, WebError
from .templating import render

log = logging.getLogger("gutbalance.web")

#: Paths whose request bodies may be as large as an upload.
UPLOAD_PATHS = ("/api/samples", "/samples/upload")

_GENERIC = {
    400: "The request could not be understood.",
    401: "Please log in.",
    403: "This action is not allowed.",
    404: "There is nothing here.",
    405: "This action is not allowed here.",
    409: "That conflicts with what is stored.",
    413: "The file is too large.",
    422: "Some of what was sent is not valid.",
    429: "Too many requests; please wait a little.",
    503: "The server is busy; please try again in a moment.",
}


#: Plain words for a field whose pydantic rule is not enough to say what is wanted.
_FIELD_RULES = {("username", "string_pattern_mismatch"): USERNAME_RULE}

#: A field's problem by pydantic's error type; ``{name}`` is the field, the rest its rule.
_KIND_WORDS = {
    "missing": "{name} is missing",
    "string_too_short": "{name} has at least {min_length} characters",
    "string_too_long": "{name} has at most {max_length} characters",
    "string_type": "{name} is text (a JSON string)",
    "extra_forbidden": "'{field}' is not a field of this request",
    "string_pattern_mismatch": "{name} is not in the expected form",
}


def _field_reason(err: dict[str, Any]) -> str:
    """One field's problem in words, naming the rule it broke, never its value."""
    field = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie"))
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if (rule := _FIELD_RULES.get((field, kind))) is not None:
        return rule
    name = f"a {field}" if field in ("username", "password") else f"'{field}'"
    if (words := _KIND_WORDS.get(kind)) is not None:
        return words.format(name=name, field=field, min_length=ctx.get("min_length"), max_length=ctx.get("max_length"))
    return f"{name}: {str(err.get('msg', 'not valid')).lower()}"


def invalid_request_message(errors: Sequence[Any], *, content_type: str) -> str:
    """Why a request was refused (422), in plain words: each broken rule by its
    field, or what is wrong with the body as a whole; the input is never echoed."""
    reasons: list[str] = []
    for err in errors:
        loc, kind = tuple(err.get("loc", ())), err.get("type", "")
        if kind == "json_invalid":
            where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
            reason = f"the body is not valid JSON ({(err.get('ctx') or {}).get('error', 'cannot be decoded')}{where})"
        elif loc == ("body",) and kind == "missing":
            reason = "the body is missing: send a JSON object with Content-Type: application/json"
        elif loc == ("body",):
            sent = content_type.split(";")[0].strip() or "no Content-Type"
            reason = ("the body must be a JSON object sent with Content-Type: application/json"
                      + ("" if sent == "application/json" else f" (this one was sent as {sent})"))
        else:
            reason = _field_reason(err)
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons) if reasons else _GENERIC[422]


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    try:
        response = render(request, "error.html", {"status": status, "message": message}, status_code=status)
    except Exception:  # an error page must never fail in its turn: a plain page, still HTML
        log.exception("the error page could not be rendered")
        response = HTMLResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{_GENERIC.get(status, 'Something went wrong.')}</p>", status_code=status)
    response.headers.update(headers or {})
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment, see
    :func:`~gutbalance.web.core.config.load_settings`).

    The database is migrated to the newest schema when the app starts.
    """
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.auth_threads = anyio.CapacityLimiter(AUTH_THREADS)
        # First the scoring workers (another process, warming up on the other
        # core), then this process's own caches. Not in a thread: reading a
        # file records its warnings with warnings.catch_warnings, whose
        # process-wide state a thread would restore under other requests.
        app.state.jobs.prestart()
        migrate(engine)
        warm_up()
        app.state.jobs.start()
        yield
        app.state.jobs.stop()
        app.state.audit.close()
        engine.dispose()

    app = FastAPI(
        title="gutbalance",
        version=__version__,
        summary="Accounts, a sample store and per-sample reports of gut immune-support scores.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
        # Before every route's own dependencies, so before any query: NUL in a
        # PostgreSQL query is a 500 and a closed connection.
        dependencies=[Depends(refuse_control_characters)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.audit = AuditWriter(engine)
    app.state.sessions = session_factory(engine, audit=app.state.audit)
    app.state.guards = Guards.from_settings(settings)
    app.state.jobs = JobRunner(settings, app.state.sessions)

    app.add_middleware(
        BodySizeLimit, upload_limit=settings.max_request_bytes, upload_paths=UPLOAD_PATHS, upload_file_limit=settings.max_upload_bytes
    )
    app.add_middleware(SecurityHeaders, hsts=settings.behind_tls_proxy)
    # Outside the others (inside the proxy headers: it needs the client's
    # address): /healthz and the shedding of login floods are answered here.
    hashing = app.state.guards.hashing
    app.add_middleware(
        FrontDoor, guards=app.state.guards, max_in_flight=min(AUTH_THREADS, hashing.concurrency + hashing.queue), hsts=settings.behind_tls_proxy
    )
    if settings.behind_tls_proxy:
        # Outermost, so everything inside sees the client's address and scheme;
        # only the configured proxies are believed (uvicorn's own handling is
        # switched off by `gutbalance serve`, which trusted loopback always).
        # uvicorn (web extra) only behind a TLS proxy: the app itself runs under any ASGI server
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)

    static = resources.files("gutbalance.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(auth.router)
    app.include_router(samples.router)
    app.include_router(account.router)
    app.include_router(pages.router)

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return _error(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else _GENERIC.get(exc.status_code, "Something went wrong.")
        return _error(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 422, invalid_request_message(exc.errors(), content_type=request.headers.get("content-type", "")))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Starlette answers this one from outside every middleware: the
        # security headers are added here.
        response = _error(request, 500, "Something went wrong on our side.")
        add_security_headers(response, path=request.url.path, https=settings.behind_tls_proxy or request.url.scheme == "https")
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Browsers ask for it on every page (the report pages name no icon); answer quietly.
        return RedirectResponse("/static/favicon.svg", status_code=301)

    return app
