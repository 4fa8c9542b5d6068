"""Wording that points to each route, and wording that cancels it in the same sentence.

How much each phrase counts is fitted (`route_model.json`), not set here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.patterns import lower_pattern
from denialops_router.domain.text import at_word as _w  # short: used inside long patterns
from denialops_shared.contracts.artifacts import Route


def _p(pattern: str) -> re.Pattern[str]:
    """Patterns run on the lower-cased letter (much faster than IGNORECASE); a space matches a line break too.

    Top-level branches start with a literal (not a group or a word boundary) so sre can skip ahead with a fast scan.
    """
    return lower_pattern(pattern)


@dataclass(frozen=True)
class Phrase:
    pattern: re.Pattern[str]
    name: str
    # Cheap substring checks (on the whitespace-folded letter); a pattern runs only when one of them occurs.
    triggers: tuple[str, ...]


_AUTH = r"(?:prior |pre-?)?(?:authori[sz]ation|approval|referral|pre-?cert\w*)"
_AUTH_WORDS = ("authori", "approv", "referral", "cert")

PHRASES: dict[Route, list[Phrase]] = {
    Route.PRIOR_AUTH_NEEDED: [
        Phrase(
            _p(r"prior authori[sz]ation|pre-?authori[sz]ation|pre-?certification|prior approval|pre-?approval"),
            "prior authorization wording",
            ("prior", "pre"),
        ),
        Phrase(
            _p(
                rf"(?:{_w('no')}|{_w('without')}|{_w('missing')}|{_w('absent')}|{_w('lack')} of|{_w('did')} not "
                rf"(?:receive|get|obtain|have))\s+"
                rf"(?:a |an |any |valid |the )?(?:pre-service )?{_AUTH}"
            ),
            "authorization missing",
            _AUTH_WORDS,
        ),
        Phrase(
            _p(
                rf"{_AUTH}(?: [\w-]+){{0,3}}? (?:was |is |had )?(?:not (?:obtained|on file|requested|received)|"
                r"expired|exceeded|ended|does not (?:cover|apply|include)|(?:was )?issued for .{0,40} only|"
                r"covered only)"
            ),
            "authorization does not cover the service",
            _AUTH_WORDS,
        ),
        Phrase(
            _p(
                r"outside (?:of )?(?:what we approved|the (?:approved|authori[sz]ed))|"
                r"after the (?:approval|authori[sz]ation)(?: period)? (?:ended|expired)|"
                r"beyond the (?:approval|authori[sz]ation)(?: period)? (?:ended|expired)|not part of the approved"
            ),
            "service outside the approved authorization",
            ("approv", "authori"),
        ),
        Phrase(
            _p(
                r"amend (?:the )?authori[sz]ation|new (?:approval|authori[sz]ation)|retro(?:active)?[- ]?"
                r"(?:review|authori[sz]ation)|must be authori[sz]ed|until (?:it|the \w+) (?:is|has been) authori[sz]ed|"
                rf"(?:new|another|complete|separate),? (?:[\w-]+,? ){{0,2}}?{_AUTH} request"
            ),
            "authorization must be obtained or amended",
            ("authori", "approv", "retro"),
        ),
    ],
    Route.CLAIM_CORRECTION_RESUBMIT: [
        Phrase(
            _p(
                r"corrected claim|replacement claim|resubmi\w+|send a new claim|new claim with|"
                rf"{_w('freq')}(?:uency)? 7"
            ),
            "corrected claim requested",
            ("claim", "resubmi", "freq"),
        ),
        Phrase(_p(rf"{_w('modifier')}\b"), "modifier problem", ("modifier",)),
        Phrase(
            _p(
                "(?:"
                + "|".join(
                    _w(w)
                    for w in ("missing", "invalid", "incorrect", "incomplete", "wrong", "not reported", "truncated")
                )
                + rf"|{_w('not')} billable|{_w('non')}-?billable|{_w('empty')})"
                r"\b[^.]{0,40}\b(?:code|modifier|npi|ndc|information|diagnosis|field|data|identifier)"
            ),
            "missing or invalid claim data",
            ("missing", "invalid", "incorrect", "incomplete", "wrong", "reported", "truncated", "billable", "empty"),
        ),
        Phrase(
            _p(
                rf"{_w('unbundl')}\w*|{_w('bundl')}\w*|{_w('ncci')}\b|mutually exclusive|billing error|coding error|"
                r"highest level of specificity|code set|could not price|category header|does not match the service|"
                r"inconsistent with the (?:procedure|diagnosis|service|modifier|place of service)|"
                r"incorrectly (?:coded|billed)|deleted code|not valid for the date"
            ),
            "coding error",
            (
                "bundl",
                "ncci",
                "exclusive",
                "error",
                "specificity",
                "code set",
                "price",
                "header",
                "match",
                "inconsistent",
                "incorrectly",
                "deleted",
                "valid",
            ),
        ),
        Phrase(_p(rf"{_w('rejected')}\b"), "claim rejected before adjudication", ("rejected",)),
    ],
    Route.MEDICAL_NECESSITY_APPEAL: [
        Phrase(
            _p(
                r"not medically necessary|medical(?:ly)? necess\w*|no longer (?:medically )?needed|was not needed|"
                r"medically appropriate|medically needed|reasonable and necessary|"
                r"does not meet (?:the |our )?(?:\w+ )?(?:criteria|guidelines)|criteria (?:are|were|was|is) not met"
            ),
            "medical necessity judgement",
            ("medical", "needed", "necessary", "criteria", "guidelines"),
        ),
        Phrase(
            _p(
                r"level of care|observation (?:status|care)|inpatient (?:stay|admission|level)|length of stay|"
                r"residential care"
            ),
            "level-of-care judgement",
            ("level of care", "observation", "inpatient", "length of", "residential"),
        ),
        Phrase(
            _p(r"experimental|investigational|not proven|unproven"),
            "experimental or investigational",
            ("experimental", "investigational", "proven"),
        ),
        Phrase(
            _p(
                r"clinical (?:review|criteria|guidelines|policy|information|reason|documentation|record)|medical "
                r"policy|physician (?:advisor|reviewer)|peer[- ]to[- ]peer|coverage determination|"
                rf"{_w('lcd')}\b|{_w('ncd')}\b|"
                r"placement criteria|medical director|laboratory policy"
            ),
            "clinical review wording",
            ("clinical", "policy", "physician", "peer", "determination", "lcd", "ncd", "criteria", "director"),
        ),
        Phrase(
            _p(rf"{_w('frequency')}\b|more often than|once every|this many services|too many"),
            "frequency limit",
            ("frequency", "often", "once every", "many"),
        ),
    ],
    Route.EXCLUSION: [
        Phrase(
            _p(
                rf"{_w('exclu')}(?:ded|sion|des)\b|not a covered (?:benefit|service)|"
                r"non-?covered (?:service|benefit|charge)|"
                r"not covered under (?:your|the|this) (?:plan|policy|benefit)|services we do not cover|"
                rf"expenses not covered|is not a (?:covered )?benefit|{_w('cosmetic')}\b|never covers?\b|"
                r"statutory exclusion|not covered (?:by|under the) law|"
                r"not covered by (?:your|the|this) (?:plan|policy)|"
                r"not included in (?:your|the) (?:plan|benefits|coverage)|not a benefit (?:of|under)"
            ),
            "plan exclusion",
            ("exclu", "covered", "cover", "benefit", "cosmetic", "statutory", "included"),
        ),
        Phrase(
            _p(
                r"plan does not cover|policy does not cover|booklet does not cover|benefit package does not cover|"
                r"does not cover|doesn't cover|do not cover"
            ),
            "plan does not cover",
            ("does not cover", "doesn't cover", "do not cover"),
        ),
    ],
    Route.ADMIN_DENIAL: [
        Phrase(
            _p(
                r"timely filing|filing (?:limit|period|deadline)|late filing|filed late|time limit for filing|"
                r"submitted too late|received too late"
            ),
            "timely filing",
            ("filing", "filed late", "too late"),
        ),
        Phrase(
            _p(
                rf"{_w('duplicate')}\b|identical claim|already (?:been )?(?:received|processed|paid|submitted)|"
                r"previously (?:processed|paid|submitted|billed)"
            ),
            "duplicate claim",
            ("duplicate", "identical", "already", "previously"),
        ),
        Phrase(
            _p(
                r"coordination of benefits|other (?:insurance|coverage|payer|health plan)|primary (?:payer|insurer|"
                rf"insurance|plan|carrier)|pays first|secondary payer|{_w('cob')}\b"
            ),
            "another payer is primary",
            ("coordination", "other", "primary", "first", "secondary", "cob"),
        ),
        Phrase(
            _p(r"workers'? comp\w*|liability carrier|no-?fault|subrogation|wrong payer|correct payer"),
            "another payer is responsible",
            ("worker", "liability", "fault", "subrogation", "payer"),
        ),
    ],
    Route.BENEFITS_VERIFICATION: [
        Phrase(_p(r"not eligible|ineligible|eligibility"), "eligibility", ("eligib",)),
        Phrase(
            _p(
                r"coverage (?:ended|terminated|ends|was terminated|lapsed|had ended)|after (?:your|the) coverage|"
                rf"not (?:enrolled|covered) on the date|no (?:active )?coverage|{_w('not')} enrolled\b|no (?:spouse|"
                r"dependents?)|dependent coverage|not an eligible dependent|cannot be identified as|employee-only|"
                r"when you are (?:not )?enrolled|while you are (?:not )?enrolled|will not be (?:enrolled|covered on|"
                r"an? (?:[\w-]+ )?member)|would not be (?:enrolled|covered on|an? (?:[\w-]+ )?member)|"
                r"no longer (?:be )?(?:enrolled|a member)|"
                r"membership (?:ends|ended|terminat\w*)|enrollment (?:ends|ended|terminat\w*)|"
                r"(?:policy|plan|membership) (?:lapsed|was cancell?ed|was terminated)|coverage (?:was )?(?:inactive|"
                r"cancell?ed)"
            ),
            "not enrolled or coverage ended",
            (
                "coverage",
                "enrolled",
                "no spouse",
                "no dependent",
                "dependent",
                "identified",
                "employee-only",
                "member",
                "lapsed",
                "cancel",
                "terminated",
            ),
        ),
        Phrase(
            _p(
                r"benefit (?:maximum|limit)|visit (?:limit|maximum)|annual (?:limit|maximum)|"
                r"lifetime (?:limit|maximum)|calendar[- ]year (?:limit|maximum)|used all "
                r"\w+|maximum (?:number|benefit)|limit (?:has been|was) reached|exhausted (?:your|the) benefit|"
                r"exceed(?:ed|s) (?:the |your )?(?:\w+ )?(?:visit|benefit|annual|yearly|lifetime) (?:limit|maximum)"
            ),
            "benefit limit reached",
            ("maximum", "limit", "used all", "exhausted", "exceed"),
        ),
    ],
    Route.ESCALATION: [
        Phrase(
            _p(rf"external review|independent review|{_w('iro')}\b|insurance (?:department|commissioner)"),
            "external review available",
            ("external", "independent", "iro", "insurance"),
        ),
    ],
}

NEGATIONS: dict[Route, re.Pattern[str]] = {
    Route.PRIOR_AUTH_NEEDED: _p(
        r"not required|did not need|does not need|doesn't need|not needed|no \w+ (?:or \w+ )?(?:review )?that would "
        r"change|would not change|regardless"
    ),
    Route.CLAIM_CORRECTION_RESUBMIT: _p(
        r"do not send a corrected|will not lead to payment|will deny again|cannot be paid|does not waive|"
        r"not require you to rebill|do not need to rebill|do not resend|not (?:a|the) coding"
    ),
    Route.MEDICAL_NECESSITY_APPEAL: _p(
        r"no clinical review|does not address whether|not a question of medical necessity|no .{0,30}clinical review "
        r"that would|not a (?:finding|decision|determination) (?:that|about)|not about whether|"
        # Nobody judged the clinical question, or the clinical criteria were met.
        r"no (?:physician|doctor|clinician|nurse|medical director|clinical reviewer)s? (?:has |have )?reviewed|"
        r"not (?:been )?reviewed for medical necessity|does not mean .{0,40}(?:not needed|not necessary)|"
        r"(?:met|meets|satisf(?:ied|ies)) (?:all )?(?:of )?(?:our |the |your plan's )?(?:clinical |medical )?"
        r"(?:criteria|guidelines)"
    ),
    Route.EXCLUSION: _p(r"is a covered benefit|does cover|remains covered|is covered|are covered|would be covered"),
    Route.ADMIN_DENIAL: _p(
        # A filing limit stated as information ("Timely filing: 12 months"), not as what went wrong.
        r"(?:timely filing|filing limit)(?: limit)?(?: for [\w ]{3,30})?(?::| is) (?:\d+|one|two|twelve) "
        r"(?:days|months|years?)|timely filing for (?:original|corrected|new)"
    ),
}

# Any route's wording in a sentence that puts it first ("amend the authorization first"): with two
# reasons, the one to resolve first decides the route.
COMES_FIRST = _p(
    r"first(?=[;.,:)])|comes first|work first|be (?:fixed|resolved|amended|corrected|obtained) before|"
    r"before (?:resubmitting|rebilling|sending a corrected|you resubmit)"
)

# Any route's wording in a sentence that sets it aside ("so the authorization question does not matter").
SET_ASIDE = _p(r"does not matter|do not matter|would not matter|is moot|makes no difference")

# The letter denying a route's premise outright, wherever it says so ("an authorization does exist").
CONTRADICTIONS: dict[Route, re.Pattern[str]] = {
    Route.MEDICAL_NECESSITY_APPEAL: _p(
        r"(?:decision|denial) (?:is|was) not (?:about|based on) (?:the )?(?:medical (?:need|necessity)|"
        r"whether .{0,40} (?:needed|necessary))|not a medical necessity (?:decision|denial|determination)"
    ),
    Route.PRIOR_AUTH_NEEDED: _p(
        r"authori[sz]ation (?:does|did) exist|do not need (?:to request )?a new (?:authori[sz]ation|approval)|"
        r"does not need (?:to request )?a new (?:authori[sz]ation|approval)|"
        r"no new (?:authori[sz]ation|approval|request) is (?:needed|required)|"
        r"authori[sz]ation(?<!no authorization)(?<!no authorisation)(?<!no valid authorization) (?:is|was) "
        r"(?:already )?on file"
    ),
    Route.BENEFITS_VERIFICATION: _p(
        r"you(?<!when you)(?<!while you)(?<!if you) (?:are|were) enrolled|coverage (?:is|was) active|"
        r"enrollment (?:is|was) active|nothing is wrong with (?:your|the) coverage"
    ),
}
