"""A person's name as printed (`LAST, FIRST M`, all caps, titles, suffixes) -> `First Last`.

nameparser splits the name; this module decides what is a person's name at all and how it is shown:
first and last name (a compound given name kept), titles, middle initials, generational suffixes (`Jr.`,
`III`) and credentials dropped, capitals turned into the name's own casing (`McDonald`, `O'Brien`,
`Wojcik-Hale`, `McALLISTER` -> `McAllister`).
"""

from __future__ import annotations

import functools
import re

from nameparser import HumanName
from nameparser.config import CONSTANTS

from denialops_router.domain.org_words import PROVIDER_WORDS

# A name as letters print it: `Jane Q. Roe`, `JANE ROE`, `ROE, JANE Q`, `Mary-Kate O'Neil-Smith Jr.`.
NAME_WORD = r"(?:Mc|Mac|O'|D')?[A-Z][a-z\u00df-\u00ff]+(?:['-][A-Z]?[a-z\u00df-\u00ff]+)*"
# In capitals a Mc/Mac prefix often stays in its own case (`McALLISTER`, `MacDONALD`).
UPPER_NAME_WORD = r"(?:Mc|Mac)?[A-Z][A-Z'\u00c0-\u00de]+(?:-[A-Z][A-Z'\u00c0-\u00de]+)*"
# Surname particles before a `LAST, FIRST` surname (`VAN HORN, TYLER`, `de la Cruz, Maria`).
_PARTICLE = r"(?:\b(?i:van|von|de|del|della|der|den|la|le|di|da|du|dos|das|ten|ter) )"
_PART = rf"(?!(?:Jr|Sr|JR|SR)\b)(?:{NAME_WORD}|{UPPER_NAME_WORD}|[A-Z]\.?)"
_SUFFIX = r"(?:,? (?:Jr|Sr)\.?|,? I{2,3}|,? IV)?"
NAME = (
    rf"{_PARTICLE}{{0,2}}(?:{UPPER_NAME_WORD}|{NAME_WORD}), (?:{NAME_WORD}|{UPPER_NAME_WORD})(?: [A-Z]\.?)?(?![\w'-])"
    rf"|(?:{NAME_WORD}|{UPPER_NAME_WORD})(?: {_PART}){{1,3}}{_SUFFIX}(?![\w'-])"
)
# Letters (any script), apostrophes, hyphens, periods and spaces, with at most one comma (`LAST, FIRST`).
_SHAPE = re.compile(r"[^\W\d_][\w'.\- ]*(?:, ?[^\W\d_][\w'.\- ]*)?")
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx"})
# Credentials and titles printed after a name.
_CREDENTIALS = re.compile(
    r",?\s+\b(?:MD|M\.D\.|DO|D\.O\.|DMD|DDS|RN|NP|PA-C|PA|PhD|DPM|DC|OD|LCSW|LPC|PT|DPT|FACP|FACS|MPH)\b\.?"
    r"(?:,?\s+\b(?:MD|DO|DMD|DDS|RN|NP|PhD|FACP|FACS|MPH)\b\.?)*$"
)
# Words of organisations, documents and forms: a "name" holding one is not a person's.
_NOT_NAME_WORDS = """
    services service handbook id number portal plan health care center centre rights relations advocate appeals
    appeal information name claims claim unit department review provider member team office support line date total
    amount code codes status notice the your our this that insurance medical clinic hospital group associates
    partners imaging therapy pharmacy laboratory lab labs supply supplies home mutual trust benefits benefit
    administrators company inc llc corp co fund union student notification explanation statement summary coverage
    individual marketplace decision determination letter remittance advice page dear sincerely regards customer
    care policy subscriber patient dependent beneficiary enrollee participant insured address street avenue road
    suite box city state county dr. mr. mrs. ms. miss of and for physician physicians doctor
    nurse director reviewer medicare medicaid advantage contact phone fax email us you we they he she it my
    questions received processed denied approved paid billed allowed responsibility description type reason
    chat transcript message session solutions solution systems specialty rx pbm network networks alliance
    cooperative assurance administration management holdings corporation incorporated
"""
_NOT_NAME = frozenset(_NOT_NAME_WORDS.split())
# `Jane Roe`: two capitalised words that nameparser reads as first and last name unless one is a word it
# knows (a title, suffix, prefix, conjunction) or a roman numeral; then it need not be asked (its costly part).
_PLAIN = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+")
_ROMAN = re.compile(r"[ivxlcdm]+")
_MC_IN_CAPS = re.compile(r"\bMa?c(?=[A-Z][A-Z'])")
_PARSER_WORDS = frozenset().union(
    *(
        set(words)
        for words in (
            CONSTANTS.titles,
            CONSTANTS.first_name_titles,
            CONSTANTS.suffix_acronyms,
            CONSTANTS.suffix_acronyms_ambiguous,
            CONSTANTS.suffix_not_acronyms,
            CONSTANTS.prefixes,
            CONSTANTS.non_first_name_prefixes,
            CONSTANTS.conjunctions,
            CONSTANTS.bound_first_names,
        )
    )
)


@functools.lru_cache(maxsize=1024)
def display_name(raw: str) -> str | None:
    """`First Last` (generational suffix kept) for a printed person's name; None when `raw` is not one."""
    text = re.sub(r"\s*\([^)]*\)", " ", raw)
    text = _CREDENTIALS.sub("", " ".join(text.split())).strip(" ,;:")
    text = _MC_IN_CAPS.sub(lambda m: m.group().upper(), text)  # `McALLISTER` is a name in capitals
    if not text or not _SHAPE.fullmatch(text):
        return None
    # Organisation and form words rule a name out before nameparser (the costly part) is asked.
    words = [w.rstrip(".").lower() for w in text.replace("-", " ").replace(",", " ").split()]
    if any(w in _NOT_NAME and w not in _TITLES for w in words) or PROVIDER_WORDS.search(text.title()):
        return None
    if len(text.replace(",", " ").split()) < 2:
        return None  # one word is never both a first and a last name
    if _PLAIN.fullmatch(text) and not any(w in _PARSER_WORDS or _ROMAN.fullmatch(w) for w in words):
        return text
    name = HumanName(text)
    letters = re.sub(r"[^\w]", "", text)
    if letters.isupper() or letters.islower():
        name.capitalize(force=True)
    first, last = name.first.strip(), name.last.strip()
    if not first or not last or len(first.strip(".")) < 2 or len(last) < 2:
        return None
    # A compound given name (`Luz Marina`) is part of the name; a middle initial and a suffix are not.
    middle = " ".join(w for w in name.middle.split() if len(w.strip(".")) > 1)
    return " ".join(p for p in (first, middle, last) if p)


def same_person(a: str, b: str) -> bool:
    """Two printed names for the same person (`Mr. Ferreira` and `Anselmo Ferreira`): same last name,
    and the same first name when both print one."""
    x, y = HumanName(a), HumanName(b)
    if x.last.lower() != y.last.lower() or not x.last:
        return False
    return not (x.first and y.first) or x.first.lower() == y.first.lower()
