"""Who is who: payer, plan, member and claim identifiers, patient and provider."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from denialops_router.domain.labelled import Labelled, column_values, labelled, normalise_label
from denialops_router.domain.org_words import ADDRESS_LINE, PAYER_WORDS, PROVIDER_WORDS, reads_like_provider
from denialops_router.domain.person_names import NAME, display_name
from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import fields
from denialops_router.domain.tables import table_lines
from denialops_router.domain.text import Doc, Span, at_word
from denialops_shared.contracts.codes import ocr_digits


@dataclass(frozen=True)
class Found:
    value: str
    start: int
    end: int
    confidence: float


# An identifier: uppercase letters and digits in groups joined by hyphens or single spaces
# (`IWM 6631 0027 14`); each space-joined group carries a digit so words are not swallowed.
def _id(hyphen: str) -> str:
    return (
        r"(?P<id>(?!(?:ID|NO|NUM|NUMBER)\b)(?=[A-Z0-9 -]*\d)[A-Z0-9]+"
        rf"(?:(?:{hyphen}| (?=[A-Z0-9-]*\d[A-Z0-9-]*\b))[A-Z0-9]+)*)"
    )


_ID = _id("-")
_MEMBER_LABEL = re.compile(
    r"\b(?:member|subscriber|enrollee|participant|insured|beneficiary|policy(?:holder)?|miembro|"
    r"cooperative|identification|id)(?:[ _]?(?:id|number|no|num|#))?\b\.?"
    rf"(?P<filler>[^\n\d]{{0,40}}?)(?<![A-Za-z]){_ID}",
    re.IGNORECASE,
)
_CLAIM_LABEL = re.compile(
    r"\b(?:claim|clm|CLP|reclamo|icn|dcn|tcn)(?:[ _]?(?:id|number|no|num|#|reference|ref))?\b\.?"
    rf"(?P<filler>[^\n\d]{{0,25}}?)(?<![A-Za-z]){_ID}",
    re.IGNORECASE,
)
_NOT_CURRENT_CLAIM = re.compile(
    r"(?:original|first submission|previous|prior|earlier|references?|remittance on|other)\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
_GROUP = re.compile(rf"\bgroup(?:[ _]?(?:number|no|num|#|id))?\b\.?\s*[:#=]?\s*(?<![A-Za-z]){_ID}", re.IGNORECASE)
_NPI = re.compile(rf"{at_word('NPI')}\b[^\d\n]{{0,20}}(?<!\d)(\d{{10}})(?!\d)")

_STRICT_SEP = r"(?:\s*/\s*[A-Za-z]+)?(?:\s*[:=|]\s*(?:\|\s*)?| {2,})"
_ABBREV = r"(?:Co|Inc|Corp|Ltd|St|Dr|Jr|Sr|LLC|P\.C|L\.L\.C)\."
_ORG_TOKEN = rf"(?:{_ABBREV}|[A-Z][\w']*|&|of|and|the|for|de)"
_ORG = rf"(?P<org>(?:{_ABBREV}|[A-Z][\w']*)(?: {_ORG_TOKEN})*)"
_PROVIDER_LABEL = re.compile(
    r"\b(?i:billing[ _]provider|rendering[ _]provider|servicing[ _]provider|provider(?: name)?|proveedor|"
    r"payee|facility|doctor/facility|doctor|physician|clinic|lab|laboratory|hospital|requesting "
    r"(?:office|provider|physician)|program|where|practice|pharmacy|to)"
    rf"(?:\s*\((?P<paren>[^)\n]{{3,60}})\)\s*:|{_STRICT_SEP}{_ORG})"
)
_TITLE_WORDS = re.compile(
    r"\b(?:notice|explanation|statement|summary|memo|remittance|advice|letter|decision|determination|"
    r"transcript|important|urgent|appeal|review|eob|page|status|date|dear|re|subject|to|from)\b",
    re.IGNORECASE,
)
# Words both kinds of organisation use; left out when asking whether a name reads like a payer's.
_PROVIDER_ONLY = re.compile(r"\b(?:health|care|healthcare|group|partners|network|services)\b", re.IGNORECASE)
# Patterns read over the whole letter start with a literal word (`at_word`) so that sre scans for it.
_PLAN_TYPES = ("PPO", "HMO", "EPO", "POS", "HDHP", "PFFS", "D-SNP", "SNP", "Medicare Advantage", "Medicaid", "Medicare")
_PLAN_TYPE = re.compile("(" + "|".join(at_word(w) for w in _PLAN_TYPES) + r")\b")
# `Plan name: X` and `under the X Plan` (the earlier in the letter wins).
_PLAN_LABEL = re.compile(rf"{at_word('plan')}(?: name)?\s*:\s*(?P<v>[A-Z][^\n,;]{{3,60}})")
_PLAN_UNDER = re.compile(r"(?:for|under|in) (?:the |your )?(?P<v>(?:[A-Z][\w'&-]* ){1,6}(?:Plan|PPO|HMO|EPO|POS))\b")


# Identifier labels by role, over normalised labels (`labelled.normalise_label`).
_ID_WORDS = r"(?:id|identification|identification number|id number|id no|number|no|num|nbr|#|card|card number)"
# Whose identifier a label names when it is not the member's: `Chat ID`, `Provider ID`, `Claim No.`.
_OTHER_OWNERS = (
    r"claim|group|grp|payer|payee|provider|prov|tax|tin|npi|appeal|case|reference|ref|auth|authorization|check|"
    r"eft|trace|batch|transaction|document|account|acct|remit|chat|session|call|ticket|confirmation|tracking|"
    r"request|review|plan|rx|bin|pcn|user|login|order|invoice|fax|phone|employer|tpa|payment|message|state"
)
# Labels that name the member outright win over a policy number or a bare `X ID` (a brand's `Riverstone
# ID`, but also a report's, a submitter's or a town's `Boise ID 83731`) printed earlier.
_MEMBER_ID_ROLE = re.compile(
    rf"(?:(?!(?:{_OTHER_OWNERS})\b)[\w'&.-]+ ){{0,3}}(?:member|subscriber|enrollee|participant|insured|"
    rf"beneficiary|employee|medicare|medicaid|cardholder|recipient|mbr|miembro)"
    rf"(?: {_ID_WORDS})?|(?:patient|student) {_ID_WORDS}|"
    r"n[uú]mero de miembro|hicn|hic|mbi|medicare beneficiary identifier|medicaid number"
)
_MEMBER_ID_WEAK_ROLE = re.compile(
    rf"(?:(?!(?:{_OTHER_OWNERS})\b)[\w'&.-]+ ){{0,3}}(?:policy|policyholder|ins)(?: {_ID_WORDS})?|"
    rf"(?:(?!(?:{_OTHER_OWNERS})\b)[\w'&.-]+ ){{0,2}}(?:id|ids|identification number)|num"
)
# Words before `claim` that make it another claim or another party's number: `Employer claim`, `Original
# claim no.`; any other word is the payer's brand or a qualifier (`KBHP claim number`, `Denied claim`).
_NOT_THE_CLAIM = (
    r"original|first|previous|prior|earlier|other|related|parent|linked|replaced|voided|paid|employer|provider|"
    r"patient|pt|pat|member|group|check|date|total|days?|appeal|case|auth|authorization"
)
_CLAIM_ROLE = re.compile(
    rf"(?:(?!(?:{_NOT_THE_CLAIM})\b)[\w'&.-]+ ){{0,2}}(?:claim|clm|clp|icn|dcn|tcn|internal control|"
    rf"document control|reclamo)(?: (?:control|ctrl|ref|reference))?(?: {_ID_WORDS})?|"
    r"n[uú]m\.? de reclamo|n[uú]mero de reclamo"
)
_OWNED_BY_OTHER = re.compile(rf"\b(?:{_OTHER_OWNERS})(?:\W+(?:id|no|number|#))?\W{{0,3}}$", re.IGNORECASE)
_PHONE_SHAPED = re.compile(r"1?\W?\d{3}\W\d{3}\W\d{4}")
# `for Yusuf Abernathy-Lin (KPH 7731-004-22)`: the member ID in brackets right after the person's name.
_ID_AFTER_NAME = re.compile(rf"(?P<who>{NAME}) \((?:(?i:member id|id)[:#]? )?{_ID}\)")
_LEADING_ID = re.compile(rf"[\s#:]*(?:\([^)\n]*\)[\s.:]*)?{_ID}")
# The same under an identifier label of a letter read by OCR, which leaves a space beside a hyphen
# (`SCH- 7720-41186`) when the group after it has a digit; `_ocr_id` reads the value back.
_OCR_JOIN = r"-(?: (?=[A-Z0-9]*\d))?| -(?=[A-Z0-9]*\d)"
_LEADING_OCR_ID = re.compile(rf"[\s#:]*(?:\([^)\n]*\)[\s.:]*)?{_id(_OCR_JOIN)}")
# A group of an identifier that is digits but for OCR's `O` (0) and `I` (1): at least three real digits.
_DIGIT_GROUP = re.compile(r"[0-9OI]*\d[0-9OI]*")


def find_member_id(doc: Doc, scope: Scope, ocr: bool = False) -> Found | None:
    """A member-id label's value (key-value field, then table column), else a member-id phrase."""
    found = _labelled_id(doc, scope, _MEMBER_ID_ROLE, 4, ocr) or _labelled_id(doc, scope, _MEMBER_ID_WEAK_ROLE, 4, ocr)
    if found:
        return found
    for m in _ID_AFTER_NAME.finditer(doc.text):
        if display_name(m.group("who")) and scope.allows(m.start("id")):
            return Found(m.group("id"), m.start("id"), m.end("id"), 0.75)
    for m in _MEMBER_LABEL.finditer(doc.text):
        value, start = m.group("id"), m.start("id")
        # The pattern ignores case, so a word of the sentence may lead the value (`ID is THP-552-18-0094`).
        word = re.match(r"[a-z]+ ", value)
        if word:
            value, start = value[word.end() :], start + word.end()
        if re.search(r"\b(?:claim|group|npi|tax|reference|ref|auth\w*|appeal|call|memo|batch)\b", m.group(), re.I):
            continue
        if _OWNED_BY_OTHER.search(doc.text[max(0, m.start("id") - 25) : m.start("id")]) or _PHONE_SHAPED.fullmatch(
            value
        ):
            continue
        if len(re.sub(r"\D", "", value)) >= 4 and scope.allows(start):
            return Found(value, start, m.end("id"), 0.8)
    return None


def find_claim_number(doc: Doc, scope: Scope, ocr: bool = False) -> Found | None:
    """A claim-number label's value (key-value field, then table column), else a claim phrase."""
    found = _labelled_id(doc, scope, _CLAIM_ROLE, 5, ocr)
    if found:
        return found
    for m in _CLAIM_LABEL.finditer(doc.text):
        value = m.group("id")
        if len(re.sub(r"\D", "", value)) < 5 or not scope.allows(m.start("id")):
            continue
        if re.search(r"\b(?:member|npi|tax|group)\b", m.group("filler"), re.I):
            continue
        if _NOT_CURRENT_CLAIM.search(doc.text[max(0, m.start() - 40) : m.start()]):
            continue
        return Found(value, m.start("id"), m.end("id"), 0.85)
    return None


def _labelled_id(doc: Doc, scope: Scope, role: re.Pattern[str], min_digits: int, ocr: bool) -> Found | None:
    """The first identifier-shaped value under a label of the role, not an earlier/original claim's."""
    pattern = _LEADING_OCR_ID if ocr else _LEADING_ID
    for item in (*labelled(doc, scope, role), *_label_tails(doc, scope, role), *column_values(doc, scope, role)):
        m = pattern.match(doc.text, item.value.start, item.value.end)
        if not m:
            continue
        value = _ocr_id(m.group("id")) if ocr else m.group("id")
        if len(re.sub(r"\D", "", value)) < min_digits:
            continue
        line_start = doc.line(item.label_span.start).start
        if _NOT_CURRENT_CLAIM.search(doc.text[max(line_start, item.label_span.start - 40) : item.label_span.start]):
            continue
        return Found(value, m.start("id"), m.end("id"), 0.9 if value == m.group("id") else 0.8)
    return None


def _ocr_id(value: str) -> str:
    """An identifier as printed before OCR: no space beside its hyphens, and a group of digits read as
    digits where OCR put `O` for 0 or `I` for 1 (`4118O` -> `41180`; a group with other letters is kept)."""
    return re.sub(r"[0-9A-Z]+", _ocr_group, re.sub(r" ?- ?", "-", value))


def _ocr_group(group: re.Match[str]) -> str:
    text = group[0]
    return ocr_digits(text) if _DIGIT_GROUP.fullmatch(text) and sum(c.isdigit() for c in text) >= 3 else text


def _label_tails(doc: Doc, scope: Scope, role: re.Pattern[str]) -> list[Labelled]:
    """`Member ID AMA 330912847`: the capitals after the id words begin the value, not the label."""
    out = []
    for found in fields(doc):
        raw = doc.text[found.label_span.start : found.label_span.end]
        tail = re.search(r"(?: [A-Z0-9]{2,5})+$", raw)
        if not tail or not role.fullmatch(normalise_label(raw[: tail.start()])):
            continue
        start = found.label_span.start + tail.start() + 1
        if scope.allows(start):
            out.append(
                Labelled(normalise_label(raw[: tail.start()]), Span(start, found.value_span.end), found.label_span)
            )
    return out


def find_group_number(doc: Doc, scope: Scope) -> Found | None:
    for m in _GROUP.finditer(doc.text):
        if len(re.sub(r"\D", "", m.group("id"))) >= 3 and scope.allows(m.start("id")):
            return Found(m.group("id"), m.start("id"), m.end("id"), 0.8)
    return None


def find_npi(doc: Doc, scope: Scope) -> Found | None:
    for m in _NPI.finditer(doc.text):
        if scope.allows(m.start(1)):
            return Found(m.group(1), m.start(1), m.end(1), 0.95)
    return None


def _clean_org(value: str) -> str:
    value = re.sub(r"\s+(?:\((?:PPO|HMO|EPO|POS|HDHP|PFFS|SNP)\)|PPO|HMO|EPO|POS)$", "", value.strip(" ,:-"))
    # A final period is punctuation unless it ends a legal suffix (`Co.`, `Inc.`).
    if value.endswith(".") and not re.search(rf"\b{_ABBREV}$", value, re.IGNORECASE):
        value = value[:-1]
    return value.strip()


_PROVIDER_ROLE = re.compile(
    r"(?:(?:billing|bill|rendering|rend|servicing|svc|treating|requesting|admitting|ordering|performing|"
    r"referring|attending|submitting|your|the)[ _])?(?:provider|prov|doctor|dentist|physician|facility|hospital|"
    r"clinic|practice|office|supplier|pharmacy|lab|laboratory|program|payee|agency)(?: name)?|proveedor|"
    r"doctor/facility|trading partner|requested by|billed by|filed by|submitted by|provider who asked for the service|"
    r"where|to|cc|copy to|copy sent to|sent to|caller"
)
# Labels that name a provider only when the value reads like one (letters are addressed to members too).
_WEAK_PROVIDER_LABELS = frozenset(
    {"to", "cc", "copy to", "copy sent to", "sent to", "where", "program", "practice", "caller"}
)
# A payer's own desks: `Provider Contact Center`, `Member Services`.
_PAYER_DESK = re.compile(r"(?i:provider|member|customer|claims?|appeals?|participant)\b")
_CAPS_PROVIDER = re.compile(
    r"^\s*(?:PAYEE|PROVIDER|BILLING PROVIDER|RENDERING PROVIDER|FACILITY|PRACTICE) "
    r"(?P<org>[A-Z][A-Z0-9&',.-]*(?: [A-Z&',.-][A-Z0-9&',.-]*)*?)(?= {2,}| (?:NPI|TIN|ID|TAX)\b| *$)",
    re.MULTILINE,
)
# A comma inside a value that separates its parts, not the one before a legal suffix (`Acme Imaging, LLC`).
_NAME_COMMA = r",\s+(?!(?:LLC|L\.L\.C\.|PLLC|LLP|Inc\.?|P\.?C\.?|Ltd\.?|Corp\.?)(?![\w.]))"
_CREDENTIAL_TAIL = re.compile(r"^(?:MD|M\.D\.|DO|DMD|DDS|NP|PA|PA-C|RN|PhD|DPM|OD|LCSW|FACS|FACP)\.?$")


def find_provider(doc: Doc, scope: Scope, payer: str | None) -> Found | None:
    """A provider label's organisation (a clinician's name before it skipped), else the old label phrases,
    a provider's own system heading the page, then the first provider-like organisation."""
    items = [*labelled(doc, scope, _PROVIDER_ROLE), *column_values(doc, scope, _PROVIDER_ROLE)]
    # A referring provider sent the patient on; the claim's provider is labelled apart when printed.
    for item in sorted(items, key=lambda item: item.label.startswith("referring")):
        found = _provider_value(doc, item, payer)
        if found:
            return found
    for caps in _CAPS_PROVIDER.finditer(doc.text):
        value = _clean_org(caps.group("org"))
        if scope.allows(caps.start("org")) and _reads_like_org(value, payer) and len(value.split()) >= 2:
            return Found(_preferred_case(doc, value), caps.start("org"), caps.start("org") + len(value), 0.8)
    in_tables = table_lines(doc)
    for m in _PROVIDER_LABEL.finditer(doc.text):
        if doc.line(m.start()).start in in_tables:
            continue
        group = "paren" if m.group("paren") else "org"
        value = _clean_org(m.group(group))
        start = m.start(group)
        label = m.group()[: start - m.start()].strip().lower()
        if not scope.allows(start) or _same_org(value, payer) or len(value.split()) < 2 or _PAYER_DESK.match(value):
            continue
        if label.startswith(("to", "where", "program", "practice")) and not PROVIDER_WORDS.search(value):
            continue
        return Found(value, start, start + len(value), 0.85)
    return _provider_addressee(doc, payer) or _provider_letterhead(doc, payer) or _provider_by_words(doc, scope, payer)


def _provider_addressee(doc: Doc, payer: str | None) -> Found | None:
    """A provider-facing letter's address block: a provider's organisation heading it (a street, PO box or
    city line below) near the top, after the sender's own first line."""
    lines = [line for line in doc.lines() if doc.text[line.start : line.end].strip()][:_ADDRESSEE_LINES]
    for line, below in itertools.pairwise(lines[1:]):
        if not ADDRESS_LINE.search(doc.text[below.start : below.end]):
            continue
        cell = next(iter(doc.cells(line)), None)
        if cell is None:
            continue
        raw = re.sub(r"^(?i:to|attn|attention)\s*:\s*", "", doc.text[cell.start : cell.end])
        value = _clean_org(raw)
        if not (_reads_like_org(value, payer) and _provider_specific(value) and len(value.split()) >= 2):
            continue
        if _reads_like_sentence(value):
            continue
        if not PAYER_WORDS.search(_PROVIDER_ONLY.sub("", value)):
            start = cell.start + max(0, doc.text[cell.start : cell.end].find(value))
            return Found(_preferred_case(doc, value), start, start + len(value), 0.7)
    return None


def _provider_value(doc: Doc, item: Labelled, payer: str | None) -> Found | None:
    """The organisation in a value: the whole value, else the comma-separated part that is one
    (`Dr. Colm Everhart, Cedarline Pediatric Endocrinology`, `Tallgrass Periodontics, 902 Hopewell Ave`)."""
    text = doc.text[item.value.start : item.value.end]
    whole = re.split(r"\s+\(|\s+-\s+|\s{2,}|;\s+|\s+\|", text)[0]
    head, comma, rest = _partition_at_comma(whole)
    # `Coldwater Ear, Nose & Throat Associates` is one name; `Fallbrook Hospital, Admissions` is a department.
    if comma and (reads_like_provider(head) or not reads_like_provider(rest) or re.match(r"[\d a-z]", rest)):
        whole = head
    parts = [(0, whole)]
    pos = 0
    for part in re.split(rf"({_NAME_COMMA}|;\s+|\s+\(|\s+-\s+|\s{{2,}})", text):
        parts.append((pos, part))
        pos += len(part)
    for offset, part in parts:
        value = _clean_org(part.strip(" ,;()"))
        if not _reads_like_org(value, payer) or (offset == 0 and _starts_with_person(value)):
            continue
        if item.label in _WEAK_PROVIDER_LABELS and not reads_like_provider(value):
            continue
        start = item.value.start + offset + max(0, part.find(value))
        return Found(_preferred_case(doc, value), start, start + len(value), 0.85)
    return None


def _partition_at_comma(value: str) -> tuple[str, str, str]:
    """`head, rest` at the first comma that does not open a legal suffix (`Prairie Sleep Diagnostics, LLC`)."""
    m = re.search(_NAME_COMMA, value)
    return (value[: m.start()], m.group(), value[m.end() :]) if m else (value, "", "")


def _reads_like_org(value: str, payer: str | None) -> bool:
    if len(value) < 4 or re.search(r"\d", value) or not re.match(r"[A-Z]", value) or _PAYER_DESK.match(value):
        return False
    if display_name(value) or _CREDENTIAL_TAIL.match(value) or re.match(r"(?:Dr|Doctor)\.? ", value):
        return False
    return not _same_org(value, payer)


def _starts_with_person(value: str) -> bool:
    """`Nadine Okafor-Lisle, MD, Birchmont Primary Care`: a clinician's name (a title or credential tells)."""
    head, _, rest = value.partition(", ")
    if re.match(r"(?:Dr|Doctor)\.? ", head):
        return True
    return display_name(head) is not None and _CREDENTIAL_TAIL.match(rest.split(",")[0].strip()) is not None


def _provider_letterhead(doc: Doc, payer: str | None) -> Found | None:
    """A provider's own system (practice management, A/R worklist) names the provider at the top."""
    first = next((line for line in doc.lines() if doc.text[line.start : line.end].strip()), None)
    if first is None:
        return None
    for cell in _LETTERHEAD_CELL.finditer(doc.text, first.start, first.end):
        # `CLAIM NOTICE - to Maple Arch Counseling Associates`: the notice's provider addressee.
        value = _clean_org(re.sub(r"^[\s-]*(?:to|for)\s+", "", cell.group()))
        if _PAYER_DESK.match(value) or _same_org(value, payer) or PAYER_WORDS.search(value):
            continue
        if reads_like_provider(value):
            start = cell.start() + max(0, cell.group().find(value))
            return Found(_preferred_case(doc, value), start, start + len(value), 0.6)
    return None


def _provider_by_words(doc: Doc, scope: Scope, payer: str | None) -> Found | None:
    """No label: the provider-like organisation the letter names most often (the first of a tie)."""
    first_body_line = _letterhead_end(doc)
    seen: dict[str, list[int]] = {}
    for m in re.finditer(_ORG, doc.text[first_body_line:]):
        start = first_body_line + m.start()
        value = re.sub(r"^(?:The|At|To|From|Dear|With|By|For|And|Ask|Copy)\s+", "", m.group("org"))
        value = re.sub(r"\s+(?:for|of|and|the|to|at)(?:\s+\S+)?$", "", value)
        if value.isupper() or len(value.split()) < 2 or not scope.allows(start):
            continue
        if not PROVIDER_WORDS.search(value) or PAYER_WORDS.search(_PROVIDER_ONLY.sub("", value)):
            continue
        if _PAYER_DESK.match(value):
            continue
        if _same_org(value, payer):
            continue
        seen.setdefault(value, []).append(start + m.group("org").find(value))
    if not seen:
        return None
    value, starts = max(seen.items(), key=lambda kv: (len(kv[1]), -kv[1][0]))
    return Found(value, starts[0], starts[0] + len(value), 0.6)


def _same_org(value: str, payer: str | None) -> bool:
    return (
        bool(payer)
        and payer is not None
        and (value.lower().startswith(payer.lower()) or payer.lower().startswith(value.lower()))
    )


def _letterhead_end(doc: Doc) -> int:
    """Offset just past the first two non-empty lines (the letterhead)."""
    seen = 0
    for line in doc.lines():
        if doc.text[line.start : line.end].strip():
            seen += 1
            if seen == 2:
                return line.end
    return 0


# Labels that name the payer outright, strongest first: a provider's PM system or a clearinghouse prints
# its own name at the top and the payer's under such a label.
_PAYER_ROLE = re.compile(
    r"(?:era |claim |primary |secondary )?(?:payer|payor|insurer|insurance|ins|carrier|health plan|"
    r"claims administrator|plan administrator|administrator|primary)(?: name)?"
)
_FROM_ROLE = re.compile(r"from|de|sender")
# Cells of a letterhead that name the channel, not the issuer: portals, PM software, clearinghouses, fax
# machine headers, document titles.
_CHANNEL = re.compile(
    r"\b(?:portal|provider ?connect|provider ?link|gateway|edi|exchange|clearinghouse|message center|"
    r"secure message|viewer|pm|practice management|worklist|account notes|cover sheet|facsimile|fax|page|"
    r"p\.|summary notice|era|remit(?:tance)?|posting)\b",
    re.IGNORECASE,
)
# A fax machine's header line: a date/time, a number and a page count.
_FAX_HEADER = re.compile(r"\d{1,2}:\d{2}\b.*\b(?:P\.|PAGE|PG)\s*\d+\s*/\s*\d+", re.IGNORECASE)
_BRANDED_CHANNEL = re.compile(
    r"\s*(?P<brand>[A-Z][\w'&]*(?: [A-Z][\w'&]*){0,2}?) ?(?:Provider ?Connect|Provider ?Link|Portal|Secure Message|"
    r"Message Center|Online|Connect|Link)\b"
)
_ADDRESSEE_LABEL = re.compile(r"\s*(?:to|attn|attention|re|date|cc)\s*:", re.IGNORECASE)
# A document's title, not an organisation: `Explanation of Benefits`, `Notice of Denial`.
_TITLE_START = re.compile(r"(?i:explanation|notice|statement|summary|important|your|this|notification|determination)\b")
_PAYER_NAMED = re.compile(
    r"(?:[A-Z][\w'&.-]*\s){1,4}(?:Health Plans?|Health Insurance|Insurance Company|Insurance Co\.|Assurance|"
    r"Health Alliance|Mutual|Benefit Administrators|Health Cooperative|Healthcare|Health)\b"
)
_MSN = re.compile(r"\bMedicare Summary Notice\b", re.IGNORECASE)
_LETTERHEAD_CELL = re.compile(r"[^|\[\]\u00b7>*]+?(?=\s{2,}|\s*[|\u00b7>]|\s*\*{2,}|\s+//|\s+::|\s+-\s|\]|$)")
# Department and channel words after the organisation's name: `Quillmarsh Health Plan Provider Relations`.
_DEPARTMENT = re.compile(
    r"\s+(?:-\s+)?(?:(?:provider|member|customer|participant) (?:relations|services|claims(?: unit)?|appeals)|"
    r"claims? (?:resolution|unit|department|dept|review)|appeals?(?: (?:&|and) grievances?)?(?: (?:unit|department|"
    r"dept|review unit|team))?|grievances?(?: (?:unit|department))?|(?:utilization|um|prior authorization)"
    r"(?: (?:management|review|dept|department|unit))?|department|dept\.?|unit|team)$",
    re.IGNORECASE,
)
_PLAN_SUFFIX = re.compile(
    r"\s*(?:\((?:[^)]*\b(?:PPO|HMO|EPO|POS|HDHP|PFFS|SNP|Medicare Advantage|Marketplace|N1\*PR)\b[^)]*)\)|"
    r"(?:Medicare Advantage|Medicaid Managed Care)(?: (?:PPO|HMO|Plan))?)$",
    re.IGNORECASE,
)
_LETTERHEAD_LINES = 6
_ADDRESSEE_LINES = 20


def _provider_specific(name: str) -> bool:
    """A provider word other than those payers use too (`Cigna Healthcare` is a payer's name)."""
    return any(not _PROVIDER_ONLY.fullmatch(m.group()) for m in PROVIDER_WORDS.finditer(name))


def _without_plan_type(name: str) -> str:
    """`Amberlane Health Medicare Advantage (HMO)` -> `Amberlane Health`; `Silverbirch Medicare Advantage` stays."""
    while (cut := _PLAN_SUFFIX.sub("", name)) != name and PAYER_WORDS.search(cut):
        name = cut
    return name


def find_payer(doc: Doc) -> Found | None:
    """The issuing organisation: `Medicare` for a Medicare Summary Notice; a payer label's value; the
    letterhead's organisation (channels, fax headers and providers skipped); the sender of a message."""
    head = [line for line in doc.lines() if doc.text[line.start : line.end].strip()][:_LETTERHEAD_LINES]
    title = _MSN.search(doc.text, head[0].start, head[-1].end) if head else None
    if title:
        return Found("Medicare", title.start(), title.start() + len("Medicare"), 0.9)
    scope = Scope()
    for item in labelled(doc, scope, _PAYER_ROLE):
        found = _payer_value(doc, item.value, 0.85)
        if found:
            return found
    for line in head:
        if _FAX_HEADER.search(doc.text, line.start, line.end):
            continue
        for cell in _LETTERHEAD_CELL.finditer(doc.text, line.start, line.end):
            found = _payer_value(doc, Span(cell.start(), cell.end()), 0.85, letterhead=True)
            if found:
                return found
    branded = _brand_name(doc, head)
    if branded:
        return branded
    for item in labelled(doc, scope, _FROM_ROLE):
        found = _payer_value(doc, item.value, 0.7, letterhead=True)
        if found:
            return found
    return _payer_in_body(doc) or _plain_letterhead(doc, head)


def _payer_in_body(doc: Doc) -> Found | None:
    """No letterhead names the payer: the first organisation the text names with a payer's noun
    (`Bluefin Health Plan has denied the claim`)."""
    for m in _PAYER_NAMED.finditer(doc.text):
        found = _payer_value(doc, Span(m.start(), m.end()), 0.6, letterhead=True)
        if found:
            return found
    return None


def _plain_letterhead(doc: Doc, head: list[Span]) -> Found | None:
    """Last: the first line's first cell when it reads as an organisation's name (`UNITED MEDICAL
    RESOURCES`) - not a title, a channel, a person or a date."""
    if not head:
        return None
    cell = _LETTERHEAD_CELL.search(doc.text, head[0].start, head[0].end)
    if cell is None:
        return None
    value = _clean_org(cell.group())
    if len(value.split()) < 2 or re.search(r"\d", value) or _TITLE_WORDS.search(value) or _CHANNEL.search(value):
        return None
    if display_name(value):
        return None
    start = cell.start() + max(0, cell.group().find(value))
    return Found(_preferred_case(doc, value), start, start + len(value), 0.5)


def _brand_name(doc: Doc, head: list[Span]) -> Found | None:
    """A letterhead naming only a channel (`Larkspur ProviderConnect`): the payer's full name that the body
    prints with the same brand (`Larkspur Health Alliance - Appeals Department`)."""
    for line in head:
        m = _BRANDED_CHANNEL.match(doc.text, line.start, line.end)
        if not m:
            continue
        brand = re.escape(m.group("brand"))
        for full in re.finditer(rf"\b{brand}(?: [A-Z][\w'&.]*| of| &){{1,5}}", doc.text):
            found = _payer_value(doc, Span(full.start(), full.end()), 0.75, letterhead=True)
            if found and found.value.lower() != m.group("brand").lower():
                return found
    return None


def _payer_value(doc: Doc, span: Span, confidence: float, letterhead: bool = False) -> Found | None:
    """An organisation's name in `span` with markup, e-mail addresses, plan types and departments cut."""
    raw = doc.text[span.start : span.end]
    # A dash set off by spaces (`-`, `--`; `text` makes en and em dashes `-`) ends the name: a title follows.
    raw = re.split(r"\s*<|,\s(?!(?i:inc|llc|l\.l\.c|co|corp|ltd|p\.c)\b)|\s+\(N1|\s+--?\s", raw)[0]
    if raw.rstrip().endswith(":") or _ADDRESSEE_LABEL.match(raw):
        return None
    raw = re.sub(r"^[#>*\s]+|^(?i:from|de)\s*:\s*", "", raw).strip()
    value = _clean_org(_without_plan_type(raw))
    trimmed = _DEPARTMENT.sub("", value)
    if PAYER_WORDS.search(trimmed) or len(trimmed.split()) >= 2:
        value = trimmed
    # Digits belong to a union local's name (`Local 812`), not to a phone, date or ID.
    if not value or re.search(r"\d{4,}|\d[/:.-]\d", value) or len(value) < 4 or display_name(value):
        return None
    if letterhead and (_CHANNEL.search(value) or not PAYER_WORDS.search(value) or _TITLE_START.match(value)):
        return None
    if letterhead and _reads_like_sentence(value):
        return None
    if _provider_specific(value) and not PAYER_WORDS.search(_PROVIDER_ONLY.sub("", value)):
        return None
    # `Claims Department` cut to `Claims`: a generic word left, not a name.
    if all(PAYER_WORDS.fullmatch(w) or _PROVIDER_ONLY.fullmatch(w) for w in value.split()):
        return None
    start = span.start + max(0, doc.text.find(value.split()[0], span.start, span.end) - span.start)
    return Found(_preferred_case(doc, value), start, start + len(value), confidence)


def _reads_like_sentence(value: str) -> bool:
    """Names have no lower-case words but `of`, `and`, `the`, `for`, `de` (the tail of a hyphenated word,
    `Co-op`, is no word of its own); a line with others is a sentence."""
    return re.search(r"(?<![\w'-])(?!(?:of|and|the|for|de|la|y)\b)[a-z]{2,}", value) is not None


def _preferred_case(doc: Doc, value: str) -> str:
    """Letterheads are often in capitals; use the mixed-case spelling from the body when there is one."""
    if not value.isupper() and not value.islower():
        return value
    for m in re.finditer(re.escape(value), doc.text, re.IGNORECASE):
        if not m.group().isupper() and not m.group().islower():
            return m.group()
    small = {"of", "and", "the", "for", "de"}
    return " ".join(
        w.lower()
        if w.lower() in small
        else w.capitalize()
        if len(w.strip(".")) > 3 or w.lower() in ("co.", "inc.", "inc")
        else w
        for w in value.split()
    )


def find_plan(doc: Doc, payer: str | None) -> tuple[Found | None, Found | None]:
    """(plan name, plan type); both optional, from the letterhead and plan wording."""
    plan_type = None
    m = _PLAN_TYPE.search(doc.text)
    if m:
        plan_type = Found(m.group(1), m.start(1), m.end(1), 0.7)
    name = None
    found = [m for m in (_PLAN_LABEL.search(doc.text), _PLAN_UNDER.search(doc.text)) if m]
    if found:
        pm = min(found, key=lambda m: m.start())
        value = pm.group("v").strip()
        if not _same_org(value, payer):
            name = Found(value, pm.start("v"), pm.start("v") + len(value), 0.6)
    return name, plan_type
