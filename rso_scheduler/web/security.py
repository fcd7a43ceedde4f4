"""The workbench's guard: every request passes it before any page or API answers.

One pure ASGI middleware (`Guard`) does, in order:

1. **Host**: the `Host` header must be the address and port the server listens on (exactly
   one of `allowed_hosts`), so a page on another site whose name is re-pointed at 127.0.0.1
   (DNS rebinding) gets 421 and nothing else.
2. **Token -> session**: the printed URL carries `?token=...` (random, 256 bits). That request
   gets a session cookie (HttpOnly, SameSite=Strict, Path=/) and a redirect to the same address
   without the token, so the token is no longer in the address bar or the history. Every other
   request needs a live session cookie: without one, 401 and a plain sentence, pages and API
   alike.
3. **CSRF**: every request other than GET/HEAD must carry `X-CSRF-Token` equal to its
   session's CSRF token (every page has it in `<meta name="csrf-token">`; htmx sends it on
   every request; `GET /api/session` gives it to an API client). Missing or wrong: 403.
4. **Headers on every answer**, refusals included: a Content-Security-Policy allowing nothing
   from another origin and no inline script (`default-src 'self'`; a map page from the plan
   folder gets the hashes of its own inline scripts added, see `csp`), `frame-ancestors
   'none'` and `X-Frame-Options: DENY`, `nosniff`, no referrer, and `Cache-Control: no-store`
   (pages hold personal data).

Tokens are compared in constant time. Sessions live in memory: restarting `rso serve` signs
everyone out (a new token is printed).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "rso_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
BASE_CSP = (
    "default-src 'self'; script-src 'self'{scripts}; style-src 'self'{styles}; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp(script_hashes: Iterable[str] = (), inline_styles: bool = False) -> str:
    """The Content-Security-Policy: this origin only, inline scripts only by their hash
    (`inline_styles`: the route maps' own style blocks, which Folium writes inline)."""
    extra = "".join(f" 'sha256-{h}'" for h in script_hashes)
    return BASE_CSP.format(scripts=extra, styles=" 'unsafe-inline'" if inline_styles else "")


SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


@dataclass
class Sessions:
    """The sign-in token and the live sessions (session id -> CSRF token)."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    live: dict[str, str] = field(default_factory=dict)

    def open(self) -> str:
        """A new session id (its CSRF token is made with it)."""
        sid = secrets.token_urlsafe(32)
        self.live[sid] = secrets.token_urlsafe(32)
        return sid

    def csrf_of(self, sid: str | None) -> str | None:
        """The CSRF token of a live session, None for an unknown one."""
        if not sid:
            return None
        for known, csrf in self.live.items():
            if _same(known, sid):
                return csrf
        return None

    def token_ok(self, given: str) -> bool:
        """The printed token, compared in constant time."""
        return _same(given, self.token)


def _same(given: str, known: str) -> bool:
    """Constant-time equality of two texts as UTF-8 bytes (`compare_digest` on str raises
    TypeError for non-ASCII text, which a header, cookie or query decoded as latin-1 can be:
    that must be a plain refusal, never a 500)."""
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"), known.encode("utf-8"))


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return bytes(v).decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class Guard:
    """ASGI middleware: host check, token -> session cookie, CSRF, security headers."""

    def __init__(self, app: ASGIApp, sessions: Sessions, allowed_hosts: Iterable[str]):
        self.app = app
        self.sessions = sessions
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        # Cookies are shared by every port of a host: one name per port, so that two
        # workbenches on one computer do not sign each other out.
        ports = sorted({h.rsplit(":", 1)[1] for h in self.allowed_hosts if ":" in h})
        self.cookie = f"{COOKIE}_{ports[0]}" if len(ports) == 1 else COOKIE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # no websockets

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", csp().encode()))
                headers += list(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        host = (_header(scope, b"host") or "").lower()
        if host not in self.allowed_hosts:
            await _plain(send_secured, 421, "This server answers only at its own address.")
            return
        query = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")))
        if "token" in query:
            if not self.sessions.token_ok(query.pop("token")):
                await _plain(
                    send_secured, 401, "This link is not valid: open the one rso serve printed."
                )
                return
            sid = self.sessions.open()
            rest = urlencode(query)
            where = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{self.cookie}={sid}; HttpOnly; SameSite=Strict; Path=/"
            await send_secured(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", where.encode("latin-1")),
                        (b"set-cookie", cookie.encode("latin-1")),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send_secured({"type": "http.response.body", "body": b""})
            return
        csrf = self.sessions.csrf_of(_cookie(scope, self.cookie))
        if csrf is None:
            await _plain(
                send_secured,
                401,
                "Not signed in: open the address `rso serve` printed (it holds a sign-in token).",
            )
            return
        if scope["method"] not in SAFE_METHODS:
            given = _header(scope, CSRF_HEADER.encode()) or ""
            if not _same(given, csrf):
                await _plain(
                    send_secured, 403, "Refused: the request lacks this page's CSRF token."
                )
                return
        scope.setdefault("state", {})["csrf"] = csrf
        await self.app(scope, receive, send_secured)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
