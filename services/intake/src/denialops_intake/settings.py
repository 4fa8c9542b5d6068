"""Intake settings (environment variables; `INTAKE_PORT` etc. override the shared names)."""

from pydantic import AliasChoices, Field

from denialops_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = Field(default=8000, validation_alias=AliasChoices("INTAKE_PORT", "HTTP_PORT"))
    mongodb_database: str = Field(
        default="denialops_intake",
        validation_alias=AliasChoices("INTAKE_MONGODB_DATABASE", "MONGODB_DATABASE"),
    )
    # Until authentication lands every request acts for this tenant.
    default_tenant: str = "default"
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_pdf_pages: int = Field(default=50, ge=1)
    max_text_chars: int = Field(default=2_000_000, ge=1000)
    # Scans are OCR'd page by page (at most 10 pages, 10 s each), so this bound is generous.
    pdf_parse_timeout_seconds: float = Field(default=60.0, gt=0)
    run_wait_seconds: float = Field(default=10.0, ge=0)
