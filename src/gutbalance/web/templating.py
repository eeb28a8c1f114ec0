"""Server-rendered pages: one Jinja2 environment with autoescaping on for
every template, and the CSRF cookie that forms are bound to."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from .core.security import csrf_token, new_csrf_seed
from .schemas import USERNAME_CHARACTERS, USERNAME_HTML_PATTERN

CSRF_COOKIE = "gb_csrf"
SESSION_COOKIE = "gb_session"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("gutbalance.web").joinpath("templates"))),
    autoescape=True,  # everything, whatever the template's file name: uploads name samples
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def subject_href(subject: str) -> str:
    """The subject's page (by query: a subject may hold any character, even ``/``)."""
    return "/subject?" + urlencode({"name": subject})


_env.filters["subject_href"] = subject_href


def breakable(identifier: str) -> Markup:
    """``identifier`` (a score's key, ``firmicutes_bacteroidetes_log2``)
    escaped, with a line-break opportunity after each underscore: a phone
    wraps it there, never inside a word."""
    return Markup("_<wbr>").join(identifier.split("_"))


_env.filters["breakable"] = breakable
# The register form states and checks the rule the server enforces, from the one place it is written.
_env.globals.update(username_pattern=USERNAME_HTML_PATTERN, username_characters=USERNAME_CHARACTERS)


def cookie_secure(request: Request) -> bool:
    """Cookies are ``Secure`` when the request came over HTTPS (directly or,
    with uvicorn's proxy headers, through a trusted proxy) or when the app is
    configured as served behind a TLS proxy."""
    return request.app.state.settings.behind_tls_proxy or request.url.scheme == "https"


def set_csrf_cookie(request: Request, response: Response, seed: str) -> None:
    """Set the browser's CSRF seed cookie (HTTP only, same-site lax, secure over HTTPS)."""
    response.set_cookie(CSRF_COOKIE, seed, httponly=True, samesite="lax", secure=cookie_secure(request), path="/")


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> HTMLResponse:
    """Render a page; every page gets the user (a plain
    :class:`~gutbalance.web.api.deps.Viewer`, never an ORM object), and a CSRF
    value for its forms, bound to the browser's CSRF cookie and login session."""
    settings = request.app.state.settings
    seed = request.cookies.get(CSRF_COOKIE, "")
    fresh = not seed or len(seed) > 100
    if fresh:
        seed = new_csrf_seed()
    values = {
        "user": getattr(request.state, "user", None),
        "csrf": csrf_token(settings.secret, seed, getattr(request.state, "session_id", None)),
        "notice": None,
    }
    values.update(context or {})
    html = _env.get_template(name).render(**values)
    response = HTMLResponse(html, status_code=status_code)
    if fresh:
        set_csrf_cookie(request, response, seed)
    return response
