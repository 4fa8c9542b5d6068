"""Integration events: immutable, past tense (commands imperative), one pydantic model per topic.

On the wire every event is a CloudEvents 1.0 event in Kafka binary mode: the attributes travel as
`ce_*` headers, the body is the JSON of the model below, and the Kafka key is the case id so that
one case's events stay in order on one partition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from denialops_shared.contracts.topics import Topic

SCHEMA_VERSION: Final = 1

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Mode(StrEnum):
    FAST = "fast"
    VERIFIED = "verified"


class DocType(StrEnum):
    DENIAL_LETTER = "denial_letter"
    EOB = "eob"
    SBC = "sbc"
    EOC = "eoc"


class StageStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Stage(StrEnum):
    """Pipeline stages in the order they run; the last one finishes a run."""

    EXTRACT = "extract"
    ROUTE = "route"
    PLAN = "plan"
    DOCUMENTS = "documents"


PIPELINE: tuple[Stage, ...] = (Stage.EXTRACT, Stage.ROUTE, Stage.PLAN, Stage.DOCUMENTS)
FINAL_STAGE = PIPELINE[-1]


class EventBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    tenant_id: Identifier
    case_id: Identifier


def _storable(text: str) -> str:
    # A lone surrogate has no UTF-8 form, so no database (nor any JSON encoder downstream) can store it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return text


# A key MongoDB can store as a field name, the same on every server: no control characters (NUL ends a
# BSON name), no leading `$` (an operator), no `.` (a path separator).
ContextKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f$.][^\x00-\x1f\x7f.]*$"),
    AfterValidator(_storable),
]
ContextValue = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_storable)]
# Free-form context a client attaches to a case: a few short, storable strings.
UserContext = Annotated[dict[ContextKey, ContextValue], Field(max_length=32)]


class CaseCreated(EventBody):
    mode: Mode = Mode.FAST
    user_context: UserContext = Field(default_factory=dict)
    auto_run: bool = True
    source: Annotated[str, StringConstraints(min_length=1, max_length=128)] = "api"


class Page(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1)
    text: str


class DocumentAdded(EventBody):
    document_id: Identifier
    doc_type: DocType
    media_type: Annotated[str, StringConstraints(max_length=128)]
    sha256: Sha256
    pages: list[Page] = Field(min_length=1, max_length=500)
    extraction_method: Annotated[str, StringConstraints(max_length=32)]


class RunRequested(EventBody):
    run_id: Identifier
    requested_by: Annotated[str, StringConstraints(max_length=128)]
    reason: Annotated[str, StringConstraints(max_length=512)] = ""
    # The letter the run reads (a payer's later letter on the same case); without it, the newest.
    document_id: Identifier | None = None


class RunCancelled(EventBody):
    run_id: Identifier
    cancelled_by: Annotated[str, StringConstraints(max_length=128)]
    reason: Annotated[str, StringConstraints(max_length=512)] = ""


class Artifact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+\.(json|md)$")]
    media_type: str
    sha256: Sha256
    content: str


ARTIFACT_MEDIA_TYPES = {"json": "application/json", "md": "text/markdown"}


def make_artifact(name: str, content: str) -> Artifact:
    """An artifact with its media type from the file extension and the sha256 of its content."""
    return Artifact(
        name=name,
        media_type=ARTIFACT_MEDIA_TYPES[name.rsplit(".", 1)[-1]],
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        content=content,
    )


class SafeError(BaseModel):
    """An error fit to show a user: a stable code and a message, never internals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    message: str


class StageCompleted(EventBody):
    run_id: Identifier
    stage: Stage
    status: StageStatus
    attempt: int = Field(default=1, ge=1)
    started_at: dt.datetime
    finished_at: dt.datetime
    artifacts: list[Artifact] = Field(default_factory=list)
    error: SafeError | None = None


DeadlineKind = Literal["filing", "decision"]


class DeadlineApproaching(EventBody):
    """A case's open deadline is `threshold_days` (14, 7, 1 or 0) days away: sent once per case, deadline
    and threshold. `kind` is our filing deadline or the payer's decision deadline at that level."""

    level: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: DeadlineKind
    due: dt.date
    threshold_days: Literal[14, 7, 1, 0]
    days_left: int


class DeadlineMissed(EventBody):
    """A case's deadline passed while it was still open: sent once per case and deadline."""

    level: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: DeadlineKind
    due: dt.date
    days_overdue: int = Field(ge=1)


# An 835 travels whole in one Kafka record: its text stays under the record limit (MAX_EVENT_BYTES).
MAX_REMITTANCE_CHARS: Final = 850 * 1024


class RemittanceReceived(EventBody):
    """An X12 835 file from an upstream system (a clearinghouse feed), to be split by claim like an upload.

    `case_id` is only the Kafka key here: the sender's id for the file (intake derives one case per claim
    that needs work). A file too large for one record is refused; send it in parts (one per ST...SE) or
    upload it over HTTP."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REMITTANCE_CHARS)]


def auto_run_id(case_id: str) -> str:
    """The id of the run a case starts by itself; derived, so every service agrees on it."""
    return "run-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"denialops:auto-run:{case_id}"))


def terminal_stage(
    run: RunRequested | RunCancelled | StageCompleted,
    stage: Stage,
    status: StageStatus,
    at: dt.datetime,
    error: SafeError | None = None,
) -> StageCompleted:
    """A stage that ends `run` without output: cancelled, or failed with a safe error."""
    return StageCompleted(
        tenant_id=run.tenant_id,
        case_id=run.case_id,
        run_id=run.run_id,
        stage=stage,
        status=status,
        started_at=at,
        finished_at=at,
        error=error,
    )


EVENT_MODELS: dict[Topic, type[EventBody]] = {
    Topic.CASE_CREATED: CaseCreated,
    Topic.DOCUMENT_ADDED: DocumentAdded,
    Topic.RUN_REQUESTED: RunRequested,
    Topic.RUN_CANCELLED: RunCancelled,
    Topic.STAGE_COMPLETED: StageCompleted,
    Topic.DEADLINE_APPROACHING: DeadlineApproaching,
    Topic.DEADLINE_MISSED: DeadlineMissed,
    Topic.REMITTANCE_RECEIVED: RemittanceReceived,
}


def event_type(topic: Topic) -> str:
    """The CloudEvents `type` for a topic, versioned so consumers can refuse what they do not know."""
    return f"com.denialops.{topic.value}.v{SCHEMA_VERSION}"
