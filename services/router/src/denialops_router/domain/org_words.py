"""Words that make a name read like a provider's or a payer's organisation (people's names carry none),
and the shape of the address line that follows a name in an address block."""

from __future__ import annotations

import re

PROVIDER_WORDS = re.compile(
    r"\b(?:Clinics?|Center|Centre|Hospital|Medical|Medicine|Therapy|Therapies|Labs?|Laborator(?:y|ies)|"
    r"Diagnostics|Associates|Partners|Practice|Pediatrics?|Cardiology|Neurology|Dermatology|Oncology|"
    r"Orthopa?edics|Radiology|Imaging|Surgery|Surgical|Surgeons|Physicians|Pharmacy|Wellness|Rehab\w*|"
    r"Vision|Dental|Urgent Care|Primary Care|Home Health|Group|MD|DO|PC|LLC|PLLC|Ambulance|Hospice|"
    r"Recovery|Behavioral|Psychiatry|Counseling|Chiropractic|Podiatry|Obstetrics|Gynecology|Women's|"
    r"Spine|Institute|Health System|Healthcare|Specialists|Ophthalmology|Urology|Gastroenterology|"
    r"Pulmonology|Nephrology|Endocrinology|Endocrine|Allergy|Audiology|Optometry|Infusion|Dialysis|Acupuncture|"
    r"Integrative|Supply|Respiratory|Vascular|Fertility|Prosthodontics|Periodontics|Orthodontics|Sleep|Bariatric|"
    r"Prosthetics|Orthotics|Hearing|Nursing|Gastroenterology|Ambulatory|Sports Medicine)\b"
)
PAYER_WORDS = re.compile(
    r"\b(?:health|insurance|mutual|plan|trust|medicare|medicaid|assurance|benefits?|blue|cross|shield|"
    r"care|cooperative|alliance|administrators?|life|casualty|indemnity|hmo|ppo|co\.|company|inc\.?|"
    r"corp\.?|group|partners|network|select|advantage|healthcare|services|claims|script|solutions|fund|welfare|"
    r"plans|administration|management)\b",
    re.IGNORECASE,
)


def reads_like_provider(name: str) -> bool:
    """A provider word in the name, also when the name is printed in capitals."""
    return PROVIDER_WORDS.search(name) is not None or (
        name.isupper() and PROVIDER_WORDS.search(name.title()) is not None
    )


# The line under a name in an address block: a street, a PO box, a city/state/ZIP, `Parent of`, `Attn`, a
# second addressee (`and Lanternfield University Hospital`).
ADDRESS_LINE = re.compile(
    r"^\s*(?:\d+[A-Za-z]?(?: [NSEW]\.?)? [A-Z][A-Za-z0-9 .'#-]+|P\.?\s?O\.? Box \d+|Apt\.? \S+|"
    r"(?i:parent|guardian|c/o|attn)\b|(?:and|&) [A-Z])|^\s*[A-Z][A-Za-z .'-]+,? [A-Z]{2} \d{5}(?:-\d{4})?\s*$"
)
