"""What every page needs: the language, the browser's id, the reporter's tracking tokens,
and the template environment."""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from kandoo.web.adapters.apis import Citizen
from kandoo.web.bootstrap import Web
from kandoo.web.domain import present
from kandoo.web.domain.i18n import Words, choose
from kandoo.web.settings import PACKAGE

LANG_COOKIE = "kandoo_lang"
ID_COOKIE = "kandoo_id"
TOKENS_COOKIE = "kandoo_tokens"
MAX_TOKENS = 10
YEAR_S = 365 * 24 * 3600

templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
templates.env.globals.update(present=present)


def web_of(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def words_for(request: Request) -> Words:
    return Words(
        choose(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )
    )


def browser_id(request: Request) -> str:
    """This browser's own random id (set by `remember_browser` on the first page)."""
    found = request.cookies.get(ID_COOKIE, "")
    if len(found) >= 16:
        return found
    new: str = request.state.__dict__.setdefault("new_browser_id", secrets.token_urlsafe(24))
    return new


def citizen(request: Request, words: Words) -> Citizen:
    address = request.client.host if request.client else "unknown"
    client = hashlib.sha256(browser_id(request).encode()).hexdigest()[:16]
    return Citizen(address, client, words.language)


def tokens(request: Request) -> dict[str, str]:
    """The tracking tokens of the reports filed from this browser, by tracking code."""
    raw = request.cookies.get(TOKENS_COOKIE)
    if not raw:
        return {}
    try:
        found = json.loads(urlsafe_b64decode(raw.encode()))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def keep_token(request: Request, response: Response, code: str, token: str) -> None:
    kept = {k: v for k, v in tokens(request).items() if k != code}
    kept[code] = token
    newest = dict(list(kept.items())[-MAX_TOKENS:])
    value = urlsafe_b64encode(json.dumps(newest).encode()).decode()
    set_cookie(request, response, TOKENS_COOKIE, value)


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    max_age: int = YEAR_S,
    path: str = "/",
    secure: bool | None = None,
) -> None:
    """An HttpOnly, SameSite=Lax cookie; Secure as the citizens' pages have it (production)
    unless `secure` says otherwise."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=web_of(request).settings.secure_cookies if secure is None else secure,
        path=path,
    )


def map_context(web: Web) -> dict[str, Any]:
    """What a page with a map needs: the outline, its bounds, the categories, the tiles."""
    return {
        "outline": [[lat, lon] for lat, lon in web.directory.jurisdiction],
        "bounds": web.directory.bounds(),
        "categories": web.directory.categories,
        "tiles": web.settings.map_tiles_url,
        "attribution": web.settings.map_attribution,
    }


def category_names(web: Web, code: str | None) -> dict[str, str] | None:
    found = web.directory.category(code) if code else None
    return {"th": found.name_th, "en": found.name_en} if found else None


def render(
    request: Request,
    name: str,
    words: Words,
    values: Mapping[str, Any],
    status_code: int = 200,
) -> Response:
    web = web_of(request)
    context = {
        "t": words,
        "lang": words.language,
        "directory": web.directory,
        "zone": web.directory.municipality.zone,
        "path": request.url.path,
        "query": request.url.query,
        "names_of": lambda code: category_names(web, code),
        "public_url": web.settings.public_url,
        **values,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    remember_browser(request, response)
    return response


def remember_browser(request: Request, response: Response) -> None:
    """Give a browser its id on its first page (a random value, nothing about the person)."""
    new = request.state.__dict__.get("new_browser_id")
    if new is None and len(request.cookies.get(ID_COOKIE, "")) < 16:
        new = browser_id(request)
    if new:
        set_cookie(request, response, ID_COOKIE, new)


def photo_response(answer: tuple[int, bytes, str], removed_words: str) -> Response:
    """A photo from intake as the browser gets it; one deleted on request (410) is a grey
    tile that says so, not a broken image."""
    status, content, kind = answer
    if status == 410:
        return Response(removed_photo(removed_words), 410, media_type="image/svg+xml")
    if status != 200:
        return Response(status_code=status)
    return Response(content, media_type=kind, headers={"Cache-Control": "private, max-age=86400"})


def removed_photo(words: str) -> str:
    """A grey tile with the words, in place of a photo deleted for good."""
    said = html.escape(words)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" role="img" '
        f'aria-label="{said}"><rect width="160" height="120" fill="#e5e7eb"/>'
        f'<text x="80" y="64" text-anchor="middle" font-size="14" fill="#374151">{said}</text>'
        "</svg>"
    )
