"""The actions on a complaint (`POST /v1/complaints/{id}/<action>`), each one command,
and the outcome of a command answered with 202."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kandoo.events import commands as c
from kandoo.events.ids import token_hash
from kandoo.events.records import CommandAccepted
from kandoo.events.values import ReporterContact
from kandoo.intake import service
from kandoo.intake.bootstrap import Intake
from kandoo.intake.domain.errors import ApiError
from kandoo.intake.domain.messages import text
from kandoo.intake.entrypoints import schemas as s
from kandoo.intake.entrypoints.complaints import IdempotencyKey
from kandoo.intake.entrypoints.deps import CallerDep, IntakeDep, LanguageDep
from kandoo.intake.service import MakeCommand

router = APIRouter(prefix="/v1", tags=["complaints"])


async def act(
    intake: Intake,
    caller: CallerDep,
    language: str,
    complaint_id: str,
    action: str,
    body: BaseModel | None,
    make: MakeCommand,
    idempotency_key: str | None,
) -> JSONResponse:
    command_id, result = await service.act(
        intake, caller, language, complaint_id, action, make, body, idempotency_key
    )
    return answer(intake, complaint_id, command_id, result)


def answer(
    intake: Intake, complaint_id: str, command_id: str, result: CommandAccepted | None
) -> JSONResponse:
    """200 with the outcome, or 202 with where to ask for it."""
    if result is None:
        pending = {
            "command_id": command_id,
            "complaint_id": complaint_id,
            "outcome": "pending",
            "command_status_url": f"{intake.settings.public_url}/v1/commands/{command_id}",
        }
        return JSONResponse(pending, status_code=202)
    return JSONResponse(s.ActionResult.model_validate(result.model_dump()).model_dump())


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Received; the outcome is not known yet"},
    401: {"model": s.Problem},
    403: {"model": s.Problem},
    404: {"model": s.Problem},
    409: {"model": s.Problem},
    422: {"model": s.Problem},
    503: {"model": s.Problem},
}


def _action(path: str, summary: str, model: type[BaseModel] | None, make: Any) -> None:
    """Register `POST /v1/complaints/{id}/<path>`, whose body (if any) is `model`."""
    if model is None:

        async def endpoint(
            complaint_id: str,
            intake: IntakeDep,
            caller: CallerDep,
            language: LanguageDep,
            idempotency_key: IdempotencyKey = None,
        ) -> JSONResponse:
            return await act(
                intake, caller, language, complaint_id, path, None, make, idempotency_key
            )

    else:

        async def endpoint(  # type: ignore[misc]
            complaint_id: str,
            body: model,  # type: ignore[valid-type]
            intake: IntakeDep,
            caller: CallerDep,
            language: LanguageDep,
            idempotency_key: IdempotencyKey = None,
        ) -> JSONResponse:
            return await act(
                intake, caller, language, complaint_id, path, body, make, idempotency_key
            )

    endpoint.__doc__ = summary
    endpoint.__name__ = f"complaint_{path}"
    router.add_api_route(
        f"/complaints/{{complaint_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=s.ActionResult,
        responses=ACTION_RESPONSES,
        summary=summary,
    )


_action(
    "acknowledge",
    "Department staff: we have seen it.",
    None,
    lambda f, b: c.AcknowledgeComplaint(**f),
)
_action(
    "assign",
    "Department staff: who works on it.",
    s.AssignIn,
    lambda f, b: c.AssignComplaint(**f, assignee=b.assignee),
)
_action(
    "recategorize",
    "Staff: the right category (the classifier learns from it).",
    s.RecategorizeIn,
    lambda f, b: c.RecategorizeComplaint(**f, category=b.category),
)
_action(
    "reroute",
    "Staff: another department must act.",
    s.RerouteIn,
    lambda f, b: c.RerouteComplaint(**f, department=b.department, reason=b.reason),
)
_action(
    "forward",
    "Staff: an outside agency must act.",
    s.ForwardIn,
    lambda f, b: c.ForwardComplaint(**f, agency=b.agency, note=b.note),
)
_action(
    "location",
    "Staff or reporter: correct the pin.",
    s.LocationIn,
    lambda f, b: c.CorrectLocation(**f, location=b.location),
)
_action(
    "notes",
    "Staff or reporter: add a note.",
    s.NoteIn,
    lambda f, b: c.AddNote(**f, text=b.text, public=b.public),
)
_action(
    "resolve",
    "Department staff: done, with a note of what was done.",
    s.ResolveIn,
    lambda f, b: c.ResolveComplaint(**f, note=b.note, photos=tuple(b.photos)),
)
_action(
    "reject",
    "Department staff: will not act, with the reason.",
    s.RejectIn,
    lambda f, b: c.RejectComplaint(**f, reason=b.reason),
)
_action(
    "reopen",
    "Reporter (within 14 days) or clerk: it is not solved.",
    s.ReopenIn,
    lambda f, b: c.ReopenComplaint(**f, reason=b.reason),
)
_action(
    "close",
    "Reporter or staff: close a resolved complaint.",
    None,
    lambda f, b: c.CloseComplaint(**f),
)
_action(
    "rate",
    "Reporter: rate the handling, once, 1 to 5.",
    s.RateIn,
    lambda f, b: c.RateComplaint(**f, rating=b.rating, comment=b.comment),
)
_action(
    "support",
    'Any citizen, once: "me too", the same problem as this open report.',
    s.SupportIn,
    lambda f, b: c.SupportComplaint(
        **f,
        supporter_key=token_hash(b.supporter_token),
        supporter=ReporterContact(**b.contact.model_dump()),
    ),
)
_action(
    "duplicate",
    "Staff: the same problem as another complaint.",
    s.DuplicateIn,
    lambda f, b: c.MarkDuplicate(**f, original_id=b.original_id),
)


@router.post(
    "/complaints/{complaint_id}/erase",
    response_model=s.ActionResult,
    responses=ACTION_RESPONSES,
)
async def complaint_erase(
    complaint_id: str,
    body: s.EraseIn,
    intake: IntakeDep,
    caller: CallerDep,
    language: LanguageDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Reporter (X-Tracking-Token) or clerk: erase the personal data (PDPA); the report
    stays, anonymous, for the statistics."""
    command_id, result = await service.erase(
        intake, caller, language, complaint_id, body.reason, idempotency_key
    )
    return answer(intake, complaint_id, command_id, result)


@router.get("/commands/{command_id}", responses={404: {"model": s.Problem}}, tags=["commands"])
async def command_status(
    command_id: str, intake: IntakeDep, language: LanguageDep
) -> dict[str, Any]:
    """The outcome of a command answered with 202, once routing has decided it."""
    found = intake.bus.known(command_id)
    if found is None:
        raise ApiError(404, "not_found", text("not_found", language))
    return found.model_dump()
