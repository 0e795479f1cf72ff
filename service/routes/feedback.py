"""``POST /feedback``: listeners' reactions to search results, queued for learning."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.deps import ServicesDep
from service.events import FeedbackBatch, FeedbackResponse

router = APIRouter(tags=["feedback"])


@router.post(
    "/feedback",
    status_code=202,
    response_model=FeedbackResponse,
    responses={422: {"description": "No event of the batch was acceptable; reasons per event."}},
)
async def feedback(batch: FeedbackBatch, services: ServicesDep) -> FeedbackResponse | JSONResponse:
    """Queue a batch of events; answers once they are durably stored.

    Each event is checked against its search (signed id, shown entity and
    position, plausible time). Events that fail are listed in ``rejected`` with
    their reason; if none passes, the answer is 422. A repeated ``event_id`` is
    counted in ``duplicates`` and applied only once.
    """
    result = await run_in_threadpool(services.feedback.ingest, batch.events)
    metrics = services.metrics.feedback_events
    metrics.labels("accepted").inc(result.accepted)
    metrics.labels("duplicate").inc(result.duplicates)
    metrics.labels("rejected").inc(len(result.rejected))
    response = FeedbackResponse(
        accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected
    )
    if result.rejected and result.accepted == 0 and result.duplicates == 0:
        reasons = "; ".join(f"events[{r.index}]: {r.reason}" for r in result.rejected[:5])
        more = len(result.rejected) - 5
        if more > 0:
            reasons += f" (+{more} more)"
        return JSONResponse(
            status_code=422,
            content={
                "detail": f"no event accepted: {reasons}",
                **response.model_dump(mode="json"),
            },
        )
    return response
