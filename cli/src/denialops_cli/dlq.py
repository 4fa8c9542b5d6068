"""`denialops dlq list | show | replay`: dead letters in `<topic>.dlq`, read and replayed with aiokafka.

A dead letter is the original record (key, value, headers) plus `dlq_*` headers saying why. Replay
publishes the original record again to its original topic, without the `dlq_*` headers (or, with
`--body-file`, one record with a corrected value); consumers are idempotent, so replaying a record
twice is harmless. Record values may hold PHI: `show` prints the body only when asked (`--body`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console
from rich.table import Column, Table

from denialops_cli.options import DEFAULT_BOOTSTRAP, Bootstrap
from denialops_shared.contracts.topics import Topic

app = typer.Typer(help="List, inspect and replay dead letters (`<topic>.dlq`).", no_args_is_help=True)
console = Console()

DLQ_PREFIX = "dlq_"
REPLAYED_FROM = "denialops_replayed_from"
READ_TIMEOUT_SECONDS = 30.0
ASSIGNMENT_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def ref(self) -> str:
        """How the commands name one dead letter: `<dlq topic>:<partition>:<offset>`."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def original_topic(self) -> str:
        return self.headers.get("dlq_original_topic") or self.topic.removesuffix(".dlq")

    @classmethod
    def from_record(cls, record: Any) -> DeadLetter:
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
        return cls(record.topic, record.partition, record.offset, record.timestamp, record.key, record.value, headers)


def dead_letter_topic(name: str) -> str:
    """`case.created` or `case.created.dlq` -> `case.created.dlq`; anything else is refused."""
    topic = Topic(name.removesuffix(".dlq"))  # ValueError for an unknown topic
    return topic.dead_letter


def parse_ref(ref: str) -> tuple[str, int, int]:
    topic, partition, offset = ref.rsplit(":", 2)
    return dead_letter_topic(topic), int(partition), int(offset)


def replay_headers(letter: DeadLetter) -> dict[str, str]:
    """The original record's headers: the dead-letter ones dropped, where it came from added."""
    kept = {k: v for k, v in letter.headers.items() if not k.startswith(DLQ_PREFIX) and k != REPLAYED_FROM}
    return {**kept, REPLAYED_FROM: letter.ref}


def corrected(letter: DeadLetter, value: bytes) -> DeadLetter:
    """The dead letter with a fixed value: a record whose body was wrong (bad JSON, a missing field) can
    then be replayed; its key and headers, and so its event id and case, stay the same."""
    return dataclasses.replace(letter, value=value)


async def read_all(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every record of `topic`, from the beginning to the end offsets seen at the start."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_TIMEOUT_SECONDS
        # Without a group the consumer assigns itself every partition once the topic's metadata arrived.
        for _ in range(int(READ_TIMEOUT_SECONDS / ASSIGNMENT_POLL_SECONDS)):
            if consumer.assignment():
                break
            await asyncio.sleep(ASSIGNMENT_POLL_SECONDS)
        partitions = sorted(consumer.assignment())
        ends: Mapping[TopicPartition, int] = await consumer.end_offsets(partitions) if partitions else {}
        letters: list[DeadLetter] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]) and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                letters.extend(DeadLetter.from_record(r) for r in records if r.offset < ends[_partition(r)])
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


def _partition(record: Any) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


async def find(bootstrap: str, refs: Iterable[str]) -> list[DeadLetter]:
    wanted = [parse_ref(ref) for ref in refs]
    by_topic = {topic: {letter.ref: letter for letter in await read_all(bootstrap, topic)} for topic, _, _ in wanted}
    missing = [f"{t}:{p}:{o}" for t, p, o in wanted if f"{t}:{p}:{o}" not in by_topic[t]]
    if missing:
        raise typer.BadParameter(f"no such dead letter: {', '.join(missing)}")
    return [by_topic[t][f"{t}:{p}:{o}"] for t, p, o in wanted]


async def republish(bootstrap: str, letters: Iterable[DeadLetter]) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    count = 0
    try:
        for letter in letters:
            headers = [(k, v.encode()) for k, v in replay_headers(letter).items()]
            await producer.send_and_wait(letter.original_topic, letter.value, key=letter.key, headers=headers)
            count += 1
    finally:
        await producer.stop()
    return count


def letters_table(letters: Iterable[DeadLetter]) -> Table:
    table = Table("time (UTC)", "case (key)", "error", "reason", "attempts")
    # The ref is what `show` and `replay` take: never cut it.
    table.columns.insert(0, Column("ref", no_wrap=True, min_width=len("case.created.dlq:0:0")))
    for letter in letters:
        when = dt.datetime.fromtimestamp(letter.timestamp_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            letter.ref,
            when,
            (letter.key or b"").decode("utf-8", "replace"),
            letter.headers.get("dlq_error_class", "?"),
            letter.headers.get("dlq_reason", ""),
            letter.headers.get("dlq_attempts", ""),
        )
    return table


@app.command("list")
def list_letters(
    topics: Annotated[
        list[str] | None, typer.Argument(help="Topics to read; default: every dead-letter topic.")
    ] = None,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> None:
    """List dead letters: where each came from and why it was dead-lettered (never the record's content)."""
    names = [dead_letter_topic(t) for t in topics] if topics else [t.dead_letter for t in Topic]
    total = 0
    for name in names:
        letters = asyncio.run(read_all(bootstrap, name))
        total += len(letters)
        if letters:
            console.print(letters_table(letters))
    console.print(f"{total} dead letters in {', '.join(names)}")


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="<dlq topic>:<partition>:<offset>, as `dlq list` prints it.")],
    body: Annotated[bool, typer.Option(help="Also print the record's value (it may contain PHI).")] = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> None:
    """Show one dead letter's key and headers (and, with --body, its value)."""
    (letter,) = asyncio.run(find(bootstrap, [ref]))
    table = Table("header", "value", title=letter.ref)
    table.add_row("(key)", (letter.key or b"").decode("utf-8", "replace"))
    for key, value in sorted(letter.headers.items()):
        table.add_row(key, value)
    console.print(table)
    if body:
        console.print(letter.value.decode("utf-8", "replace"), markup=False, highlight=False)


@app.command()
def replay(
    refs: Annotated[
        list[str] | None, typer.Argument(help="Dead letters to replay (<dlq topic>:<partition>:<offset>).")
    ] = None,
    all_of: Annotated[str | None, typer.Option("--all", help="Replay every dead letter of this topic.")] = None,
    body_file: Annotated[
        Path | None,
        typer.Option(
            "--body-file",
            help="Replay the one dead letter named with this file's content as its value (a corrected body); "
            "its key and event headers are kept.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> None:
    """Publish dead letters again to their original topic, as they were first received (or corrected)."""
    if not refs and not all_of:
        raise typer.BadParameter("name dead letters to replay, or use --all TOPIC")
    if body_file is not None and (all_of or len(refs or []) != 1):
        raise typer.BadParameter("--body-file replays exactly one dead letter, named by its ref")
    letters = asyncio.run(find(bootstrap, refs or []))
    if body_file is not None:
        letters = [corrected(letters[0], body_file.read_bytes())]
    if all_of:
        letters += asyncio.run(read_all(bootstrap, dead_letter_topic(all_of)))
    count = asyncio.run(republish(bootstrap, letters))
    console.print(f"replayed {count} dead letters")
