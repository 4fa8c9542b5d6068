"""The document pack (SPEC 4.6): `call_script.md` for every route plus the route's own documents."""

from __future__ import annotations

from collections.abc import Callable

from denialops_llm_worker.domain.documents.call_script import call_script
from denialops_llm_worker.domain.documents.checklists import (
    eligibility_checklist,
    pa_checklist,
    resubmit_checklist,
)
from denialops_llm_worker.domain.documents.common import PackInput
from denialops_llm_worker.domain.documents.letters import (
    admin_appeal_letter,
    appeal_letter,
    clinician_letter,
    exception_request,
    external_review_request,
)
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, Route, RouteDecision

Builder = Callable[[PackInput], str]

ROUTE_DOCUMENTS: dict[Route, dict[str, Builder]] = {
    Route.PRIOR_AUTH_NEEDED: {"pa_checklist.md": pa_checklist},
    Route.CLAIM_CORRECTION_RESUBMIT: {"resubmit_checklist.md": resubmit_checklist},
    Route.MEDICAL_NECESSITY_APPEAL: {"appeal_letter.md": appeal_letter, "clinician_letter.md": clinician_letter},
    Route.EXCLUSION: {"exception_request.md": exception_request},
    Route.ADMIN_DENIAL: {"admin_appeal_letter.md": admin_appeal_letter},
    Route.BENEFITS_VERIFICATION: {"eligibility_checklist.md": eligibility_checklist},
    Route.ESCALATION: {"external_review_request.md": external_review_request},
}


def build_document_pack(
    facts: CaseFacts, decision: RouteDecision, plan: ActionPlan, letter_paragraph: str | None = None
) -> dict[str, str]:
    pack = PackInput(facts=facts, decision=decision, plan=plan, letter_paragraph=letter_paragraph)
    builders = {"call_script.md": call_script, **ROUTE_DOCUMENTS[decision.route]}
    return {name: build(pack) for name, build in builders.items()}
