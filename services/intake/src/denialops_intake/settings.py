"""Intake settings (environment variables, one name each: the README's configuration table)."""

import datetime as dt
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from denialops_intake.text_extraction import MAX_OCR_PAGES, OCR_PAGE_TIMEOUT_S
from denialops_shared.llm.settings import CacheSettings, LlmSettings
from denialops_shared.settings import InsecureConfiguration, ServiceSettings

# Algorithms a JWT may be signed with; "none" is never accepted, whatever the configuration says.
JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA", "HS256")


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = Field(default=8000, validation_alias="INTAKE_PORT")
    mongodb_database: str = Field(
        default="denialops_intake",
        validation_alias="INTAKE_MONGODB_DATABASE",
    )
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # An 835 file (POST /remittances): 10,000 claims are about 6 MB.
    max_remittance_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # Every body that is not an upload (JSON) is at most this large.
    max_json_bytes: int = Field(default=64 * 1024, ge=1024)
    max_pdf_pages: int = Field(default=50, ge=1)
    # A denial letter is a few thousand characters; the event carrying the text must also fit one Kafka
    # record (cloudevents.MAX_EVENT_BYTES), which refuses larger ones whatever this says.
    max_text_chars: int = Field(default=500_000, ge=1000)
    # Scans are OCR'd page by page: at most `ocr_max_pages` pages (a scan with more is refused), each for at
    # most `ocr_page_timeout_seconds` (a page that takes longer reads as empty). The parse timeout bounds it all.
    ocr_max_pages: int = Field(default=MAX_OCR_PAGES, ge=0, le=200)
    ocr_page_timeout_seconds: float = Field(default=OCR_PAGE_TIMEOUT_S, gt=0, le=300)
    pdf_parse_timeout_seconds: float = Field(default=60.0, gt=0)
    run_wait_seconds: float = Field(default=10.0, ge=0)

    # Requests per tenant, in the `limits` notation ("200/second", "1000/minute;50/second").
    rate_limit: str = Field(default="200/second", validation_alias="INTAKE_RATE_LIMIT")
    # How long a stored API key is reused before it is read again: a key revoked by the CLI or another
    # replica stops working here within this time (0 reads the key on every request).
    api_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        validation_alias="INTAKE_API_KEY_CACHE_SECONDS",
    )
    # Load shedding (admission.py): past this many runs started here and not finished, a request that
    # would start one more is refused with 503 and Retry-After. Runs in flight = throughput x latency, so
    # set it to the cases per second the deployment finishes times the latency you accept.
    max_runs_in_flight: int = Field(default=64, ge=1, validation_alias="INTAKE_MAX_RUNS_IN_FLIGHT")
    # Load shedding at the door (middleware.RequestLimit): API requests in progress, streams left out;
    # one more gets 503 at once.
    max_requests_in_flight: int = Field(default=128, ge=1, validation_alias="INTAKE_MAX_REQUESTS_IN_FLIGHT")
    # A run not seen finishing here (another replica recorded its end, or it was lost) stops counting then.
    run_admission_forget_seconds: float = Field(default=300.0, gt=0)
    # Live progress: how soon a stream re-reads its case's tasks when nothing woke it (runs advanced by
    # another replica; the interval doubles, up to 8 times this, while nothing changes), and how long
    # one stream may stay open.
    progress_poll_seconds: float = Field(default=1.0, gt=0)
    progress_max_seconds: float = Field(default=600.0, gt=0)

    # Pin "today" for deadline arithmetic (tests, demos); unset: the UTC date.
    clock_today: dt.date | None = None
    # How often the reminder sweep looks for due deadline reminders (it also runs at start).
    reminder_sweep_seconds: float = Field(default=300.0, gt=0)
    # The web page's sessions (sessions.py): a session ends this long after sign-in, or at sign-out.
    session_ttl_seconds: float = Field(default=8 * 3600, gt=0, le=7 * 24 * 3600)

    # Optional OAuth2 bearer JWTs, next to API keys: on when JWT_KEY is set (an HMAC secret or a public
    # key in PEM). The tenant is the `JWT_TENANT_CLAIM` claim and must be a registered tenant.
    jwt_key: SecretStr | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    jwt_tenant_claim: str = "tenant_id"
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=300)

    # The model that streams the personalised summary (`LLM_*`); without a key the template summary streams.
    llm: LlmSettings = Field(default_factory=LlmSettings)
    # Where repeated summaries are answered from (`CACHE_*`, `REDIS_URL`), as in llm-worker.
    cache: CacheSettings = Field(default_factory=CacheSettings)

    @property
    def jwt_enabled(self) -> bool:
        return self.jwt_key is not None and bool(self.jwt_key.get_secret_value())

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, algorithms: list[str]) -> list[str]:
        unknown = sorted(set(algorithms) - set(JWT_ALGORITHMS))
        if unknown or not algorithms:
            raise ValueError(f"JWT_ALGORITHMS must be a non-empty subset of {', '.join(JWT_ALGORITHMS)}")
        return algorithms

    @model_validator(mode="after")
    def _jwt_checks_issuer_and_audience(self) -> Self:
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience):
            raise InsecureConfiguration("JWT_KEY is set: JWT_ISSUER and JWT_AUDIENCE must be set too")
        return self

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.jwt_enabled and "HS256" in self.jwt_algorithms:
            problems.append("JWT_ALGORITHMS must not allow HS256 (a shared secret) in production")
        return problems
