"""Who the patient is, told apart from the addressee, the subscriber, providers and reviewers.

The patient is the person who received (or would receive) the service. Evidence, strongest first:
a patient label or column; the letter saying whom it is about when it is written to someone else
(`Re: your daughter, ...`, `Parent of ...`); a member/subscriber label (the member is the patient
unless another person is named); prose (`pt Jane Roe`, `for ROE, JANE (member ID ...)`); the
addressee of a member letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from denialops_router.domain.labelled import column_values, labelled
from denialops_router.domain.org_words import ADDRESS_LINE
from denialops_router.domain.parties import Found
from denialops_router.domain.person_names import NAME, NAME_WORD, UPPER_NAME_WORD, display_name, same_person
from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc, Span

_PATIENT = re.compile(
    r"(?:patient|pt|paciente|dependent|dependant|resident|client|child|patient/member|member/patient|"
    r"name of patient|insured student|student|who|for)(?: name| full name)?"
)
_MEMBER = re.compile(
    r"(?:member|subscriber|enrollee|insured|beneficiary|participant|employee|policyholder|policy holder|"
    r"cardholder|covered person|mbr|miembro|asegurado|name|copy to member|cc member|re|regarding)(?: name| full name)?"
)
# A name printed in two columns or fields, last and first (`pat_last`, `pat_first` of an export).
_WHOSE = r"(?:(?:patient|pat|pt|member|mbr|subscriber) )?"
_LAST_NAME = re.compile(rf"{_WHOSE}(?:last|last name|surname|family name)")
_FIRST_NAME = re.compile(rf"{_WHOSE}(?:first|first name|given name)")
_NAME_AT = re.compile(NAME)
_ABOUT_SOMEONE_ELSE = re.compile(
    rf"\b(?i:your (?:son|daughter|child|spouse|wife|husband|partner|dependent|dependant|minor child|"
    rf"family member|domestic partner)),? (?P<n>{NAME})"
    rf"|\b(?i:(?:parent|guardian|parent or guardian|spouse|mother|father) of|on behalf of|"
    rf"(?:care|services?|treatment) (?:given |provided |received )?(?:for|to)) (?P<o>{NAME})"
)
_PROSE = re.compile(
    rf"\b(?i:pt|patient|member named|patient named|enrollee|beneficiary|member|subscriber)"
    rf"(?:[ \t]+|\s*[:=]\s*)(?P<p>{NAME})"
    # One branch for both cues after a name: the name is read once per capital, not once per cue.
    rf"|(?P<q>{NAME})(?: \((?i:member|patient|enrollee|beneficiary|the patient)\)"
    rf"|,?\s+(?i:DOB|D\.O\.B\.|date of birth|born)\b|, (?i:member id|id)[:#]? ?(?=[A-Z0-9-]*\d))"
    rf"|\b(?i:for|of) (?P<f>{NAME})(?= ?\((?i:member|id|dob|born|age|\w{{2,4}}[ -]?\d))"
    rf"|\b(?i:claim|services?|care|treatment) [^\n.;]{{0,40}}?\b(?i:for|to) "
    rf"(?P<c>{UPPER_NAME_WORD}, {UPPER_NAME_WORD})\b"
)
_SALUTATION = re.compile(
    rf"^\s*(?:Dear|Hi|Hello) (?P<n>(?:Mr|Mrs|Ms|Mx|Dr)\.? (?:{NAME_WORD}|{UPPER_NAME_WORD})|{NAME})\s*[,:]",
    re.MULTILINE,
)
_DEAR = re.compile(rf"^\s*(?:Dear|Hi|Hello) (?P<n>{NAME})\s*[,:]", re.MULTILINE)
_MEMBER_ID_CUE = re.compile(r"\s*(?i:.{0,20}\b(?:member|subscriber|participant|medicare|medicaid|policy|id)\b)")
# An e-mail or memo's recipient: the member on a member message, unless a titled clinician.
_TO = re.compile(r"to|attn|attention")
_TITLED = re.compile(r"\s*(?:Dr\.? |Doctor )|[^\n]*,\s*(?:MD|DO|NP|PA|RN)\b")
_TOP_LINES = 20
# The letterhead: the first non-empty lines name the sender, never the addressee.
_LETTERHEAD_LINES = 1


def find_patient(doc: Doc, scope: Scope) -> Found | None:
    """The patient's name as `First Last`, with the span it was read from."""
    return (
        _first_name_in(doc, _values(doc, scope, _PATIENT), 0.9)
        or _split_name(doc, scope)
        or _first_name_in(doc, _about_someone_else(doc, scope), 0.85)
        or _first_name_in(doc, _values(doc, scope, _MEMBER), 0.8)
        or _first_name_in(doc, _prose(doc, scope), 0.75)
        or _addressee(doc)
    )


def _first_name_in(doc: Doc, spans: Iterator[Span], confidence: float) -> Found | None:
    for span in spans:
        found = _name_in(doc, span, confidence)
        if found:
            return found
    return None


def _values(doc: Doc, scope: Scope, role: re.Pattern[str]) -> Iterator[Span]:
    for item in labelled(doc, scope, role):
        yield item.value
    for item in column_values(doc, scope, role):
        yield item.value


def _split_name(doc: Doc, scope: Scope) -> Found | None:
    """The patient's last and first name under labels or columns of their own (the denied row's)."""
    last = next(_values(doc, scope, _LAST_NAME), None)
    first = next(_values(doc, scope, _FIRST_NAME), None)
    if last is None or first is None:
        return None
    name = display_name(f"{doc.text[last.start : last.end].strip()}, {doc.text[first.start : first.end].strip()}")
    return Found(name, min(last.start, first.start), max(last.end, first.end), 0.9) if name else None


def _about_someone_else(doc: Doc, scope: Scope) -> Iterator[Span]:
    for m in _ABOUT_SOMEONE_ELSE.finditer(doc.text):
        group = "n" if m.group("n") else "o"
        if scope.allows(m.start(group)):
            yield Span(m.start(group), m.end(group))


# A line break of a hard-wrapped paragraph: after a full line, before a line that goes on unindented.
_WRAP = re.compile(r"^(.{40,})\n(?=[A-Za-z])", re.MULTILINE)


def _unwrapped(doc: Doc) -> str:
    """The text with a paragraph's wrapping line breaks as spaces (offsets unchanged), so that a name the
    wrap split (`for patient Priya` / `Venkataraman, member ID ...`) is read whole."""
    return _WRAP.sub(lambda m: m.group(1) + " ", doc.text)


def _prose(doc: Doc, scope: Scope) -> Iterator[Span]:
    for m in _PROSE.finditer(doc.memo(_unwrapped)):
        group = next(g for g in ("p", "q", "f", "c") if m.group(g))
        if scope.allows(m.start(group)):
            yield Span(m.start(group), m.end(group))


def _name_in(doc: Doc, span: Span, confidence: float) -> Found | None:
    """The person's name a value starts with (`ROE, JANE (dependent 02)`, `Jane Roe  DOB 1/2/2003`)."""
    # A span across a line break is a name the wrap split (`_unwrapped`).
    text = doc.text[span.start : span.end].replace("\n", " ")
    lead = re.match(r"[\s(\"']*(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.? )?", text)
    offset = lead.end() if lead else 0
    m = _NAME_AT.match(text, offset)
    if not m:
        return None
    name = display_name(m.group())
    if name is None:
        return None
    return Found(name, span.start + m.start(), span.start + m.end(), confidence)


def _addressee(doc: Doc) -> Found | None:
    """A member letter's addressee: a name heading the address block (a street, PO box or city line one or
    two lines below it, or a member ID beside or below it) after the letterhead, or a full name in the salutation."""
    lines = [line for line in doc.lines() if line.end > line.start][:_TOP_LINES]
    greeting = _SALUTATION.search(doc.text)
    salutation = greeting.group("n") if greeting else None
    for i, line in enumerate(lines[_LETTERHEAD_LINES:], start=_LETTERHEAD_LINES):
        below = doc.text[lines[i + 1].start : lines[i + 1].end] if i + 1 < len(lines) else ""
        # A street or city line may follow a second line (`Westbrook State University, Mailbox 7712`).
        below2 = doc.text[lines[i + 2].start : lines[i + 2].end] if i + 2 < len(lines) else ""
        start = doc.text[line.start : line.end]
        lead = _NAME_AT.match(start, len(start) - len(start.lstrip()))
        if lead and _MEMBER_ID_CUE.match(start[lead.end() :].lstrip(" -,|")):
            found = _name_in(doc, Span(line.start + lead.start(), line.start + lead.end()), 0.7)
            if found:
                return found
        for cell in doc.cells(line):
            text = doc.text[cell.start : cell.end]
            if not _NAME_AT.fullmatch(text) or display_name(text) is None:
                continue
            rest = doc.text[line.start : cell.start] + doc.text[cell.end : line.end]
            greeted = salutation is not None and same_person(salutation, text)
            addressed = ADDRESS_LINE.search(below) or ADDRESS_LINE.search(below2)
            if greeted or addressed or _MEMBER_ID_CUE.search(rest) or _MEMBER_ID_CUE.match(below):
                return _name_in(doc, cell, 0.7)
    for item in labelled(doc, Scope(), _TO):
        found = _name_in(doc, item.value, 0.6)
        if found and not _TITLED.match(doc.text, item.value.start):
            return found
    dear = _DEAR.search(doc.text)
    if dear:
        return _name_in(doc, Span(dear.start("n"), dear.end("n")), 0.6)
    return None
