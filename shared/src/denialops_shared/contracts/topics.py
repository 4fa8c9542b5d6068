"""Kafka topic names: the one place they are spelled."""

from enum import StrEnum


class Topic(StrEnum):
    CASE_CREATED = "case.created"
    DOCUMENT_ADDED = "document.added"
    RUN_REQUESTED = "run.requested"
    RUN_CANCELLED = "run.cancelled"
    STAGE_COMPLETED = "stage.completed"
    DEADLINE_APPROACHING = "deadline.approaching"
    DEADLINE_MISSED = "deadline.missed"
    REMITTANCE_RECEIVED = "remittance.received"

    @property
    def dead_letter(self) -> str:
        return f"{self.value}.dlq"


ALL_TOPICS: tuple[str, ...] = tuple(t.value for t in Topic) + tuple(t.dead_letter for t in Topic)
