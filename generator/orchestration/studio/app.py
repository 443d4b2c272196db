"""The studio's web app (Starlette): the page, its static files and the JSON API behind it.

Every request passes ``_guard`` first: its ``Host`` must be one the server answers to (no DNS
rebinding), with a token configured it must carry it (header, cookie or the page's ``?token=``), and a
request that changes something must come from the page itself (a custom header, which a foreign
page cannot send without a preflight that is never allowed, and a matching ``Origin``).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from generator.core.errors import AdgenError
from generator.orchestration.studio.forms import apply_edit, form_data, offered_fields
from generator.orchestration.studio.previews import Previewer
from generator.orchestration.studio.renders import Renders, list_runs, read_run
from generator.orchestration.studio.workspace import Workspace
from generator.planning.templates import template_schema

STATIC = Path(__file__).parent / "static"
TOKEN_COOKIE = "adgen_studio_token"
PAGE_HEADER = "x-adgen-studio"
_KEEPALIVE = 15.0  # seconds between comments on an idle event stream


@dataclass(frozen=True)
class Security:
    """Who may talk to the server: the host names it answers to (None: any, which needs a token) and its
    token (None: none asked)."""

    hosts: frozenset[str] | None
    token: str | None = None


def _problem(exc: AdgenError, status: int = 422) -> JSONResponse:
    context = {key: str(value) for key, value in exc.context.items()}
    return JSONResponse({"error": str(exc), "message": exc.message, "context": context}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body is not a JSON object")
    return body


def _text(body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise HTTPException(400, "text: a string is required")
    return text


def create_app(
    workspace: Workspace, previewer: Previewer, renders: Renders, work: Path, security: Security
) -> Starlette:
    """The studio app over ``workspace``, making previews and renders into ``work``."""
    work = work.resolve()

    def guarded(handler: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        """Run a blocking handler in the thread pool; an ``AdgenError`` becomes a 422 naming the problem."""

        async def endpoint(request: Request) -> Response:
            try:
                result = await run_in_threadpool(
                    handler, request, *([await _json(request)] if request.method != "GET" else [])
                )
            except AdgenError as exc:
                return _problem(exc)
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    def templates(request: Request) -> Any:
        return {"templates": [entry.to_json(workspace.root) for entry in workspace.templates()]}

    def template(request: Request) -> Any:
        template_id = request.path_params["id"]
        return {"id": template_id, "text": workspace.read(template_id)}

    def lint(request: Request, body: dict[str, Any]) -> Any:
        platform = body.get("platform", "reels")  # the platform whose creative guidance is checked; "": none
        if not isinstance(platform, str):
            raise HTTPException(400, "platform: a string is required")
        problems = workspace.lint(request.path_params["id"], _text(body), (platform,))
        return {"problems": [asdict(problem) for problem in problems]}

    def preview(request: Request, body: dict[str, Any]) -> Any:
        made = previewer.storyboard(
            request.path_params["id"], _text(body), str(body.get("sku", "")), body.get("aspect")
        )
        return {**asdict(made), "storyboard": f"/files/{made.storyboard}"}

    def preview_video(request: Request, body: dict[str, Any]) -> Any:
        made = previewer.video(request.path_params["id"], _text(body), str(body.get("sku", "")), body.get("aspect"))
        return {"video": f"/files/{made}"}

    def diff(request: Request, body: dict[str, Any]) -> Any:
        return {"diff": workspace.diff(request.path_params["id"], _text(body))}

    def save(request: Request, body: dict[str, Any]) -> Any:
        backup, problems = workspace.save(request.path_params["id"], _text(body), bool(body.get("force")))
        refused = backup is None and any(problem.severity == "error" for problem in problems) and not body.get("force")
        answer = {"saved": not refused, "backup": backup.name if backup else None,
                  "problems": [asdict(problem) for problem in problems]}  # fmt: skip
        return JSONResponse(answer, status_code=409 if refused else 200)

    def form(request: Request, body: dict[str, Any]) -> Any:
        data = form_data(_text(body))
        return {"data": data, "offered": offered_fields(data)}

    def form_edit(request: Request, body: dict[str, Any]) -> Any:
        edit = body.get("edit")
        if not isinstance(edit, dict):
            raise HTTPException(400, "edit: an object is required")
        text = apply_edit(_text(body), edit)
        data = form_data(text)
        return {"text": text, "data": data, "offered": offered_fields(data)}

    def rows(request: Request) -> Any:
        query = request.query_params.get("q", "")
        found = workspace.products(query, 50)
        return {"rows": [{"row": p.row, "sku": p.sku, "title": p.title} for p in found]}

    def render(request: Request, body: dict[str, Any]) -> Any:
        skus = body.get("skus")
        if skus is not None and not (isinstance(skus, list) and all(isinstance(s, str) for s in skus)):
            raise HTTPException(400, "skus: a list of SKUs, or null for the whole catalog")
        run = renders.start(str(body.get("template", "")), _text(body), skus, body.get("aspect"))
        return {"run": run.run, "total": run.total}

    async def events(request: Request) -> Response:
        run = renders.runs.get(request.path_params["run"])
        if run is None:
            raise HTTPException(404, "no such render")

        async def stream() -> AsyncIterator[str]:
            seen, ended = 0, False
            while not ended:
                batch, ended = await asyncio.to_thread(run.wait_beyond, seen, _KEEPALIVE)
                seen += len(batch)
                for event in batch:
                    yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
                if not batch:
                    yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    def runs(request: Request) -> Any:
        return {"runs": list_runs(work)}

    def run_page(request: Request) -> Any:
        try:
            return read_run(work, request.path_params["run"])
        except KeyError:
            raise HTTPException(404, "no such run") from None

    def files(request: Request) -> Response:
        path = (work / request.path_params["path"]).resolve()
        if not path.is_relative_to(work) or not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path)

    def page(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
        if security.token is not None:
            response.set_cookie(TOKEN_COOKIE, security.token, httponly=True, samesite="strict")
        return response

    def state(request: Request) -> Any:
        catalog = workspace.catalog
        return {"catalog": catalog.name if catalog else None, "rows": len(catalog.products) if catalog else 0}

    def schema(request: Request) -> Any:
        return template_schema()

    routes = [
        Route("/", page),
        Route("/api/state", guarded(state)),
        Route("/api/schema", guarded(schema)),
        Route("/api/templates", guarded(templates)),
        Route("/api/templates/{id}", guarded(template)),
        Route("/api/templates/{id}", guarded(save), methods=["PUT"]),
        Route("/api/templates/{id}/lint", guarded(lint), methods=["POST"]),
        Route("/api/templates/{id}/preview", guarded(preview), methods=["POST"]),
        Route("/api/templates/{id}/preview/video", guarded(preview_video), methods=["POST"]),
        Route("/api/templates/{id}/diff", guarded(diff), methods=["POST"]),
        Route("/api/form", guarded(form), methods=["POST"]),
        Route("/api/form/edit", guarded(form_edit), methods=["POST"]),
        Route("/api/rows", guarded(rows)),
        Route("/api/renders", guarded(render), methods=["POST"]),
        Route("/api/renders/{run}/events", events),
        Route("/api/runs", guarded(runs)),
        Route("/api/runs/{run}", guarded(run_page)),
        Route("/files/{path:path}", files),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_Guard, security=security)
    return app


class _Guard:
    """The checks every request passes (see the module docstring), as an ASGI middleware."""

    def __init__(self, app: Any, security: Security) -> None:
        self.app, self.security = app, security

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        await JSONResponse({"error": message}, status_code=status)(scope, receive, send)

    def _refusal(self, request: Request) -> tuple[int, str] | None:
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.security.hosts is not None and name.strip("[]") not in self.security.hosts:
            return 400, f"this server does not answer to host {host!r}"
        token = self.security.token
        if token is not None:
            given = (
                request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                or request.cookies.get(TOKEN_COOKIE, "")
                or request.query_params.get("token", "")
            )
            if not secrets.compare_digest(given.encode(), token.encode()):
                return 401, "a valid token is required (open the address the studio printed)"
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if PAGE_HEADER not in request.headers or (
                origin is not None and origin != f"{request.url.scheme}://{host}"
            ):
                return 403, "changes are accepted from the studio's own page only"
        return None
