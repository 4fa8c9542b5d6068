// Plain words for people, not field names.

export const ROUTES = {
  prior_auth_needed: "Get prior authorization, then resubmit",
  claim_correction_resubmit: "Correct the claim and resubmit it",
  medical_necessity_appeal: "Appeal: the treatment was medically necessary",
  exclusion: "Challenge a plan exclusion",
  admin_denial: "Fix an administrative problem and appeal",
  benefits_verification: "Check the coverage and benefits",
  escalation: "Escalate: external review or regulator",
};

export const STATUSES = {
  new: "New",
  in_progress: "In progress",
  submitted: "Submitted",
  decided: "Decided",
  closed: "Closed",
  written_off: "Written off",
};

export const TASK_STATUSES = {
  queued: "Waiting to start",
  running: "Reading the letter",
  succeeded: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const STAGE_STATUSES = {
  pending: "waiting",
  running: "working",
  succeeded: "done",
  failed: "failed",
  skipped: "skipped",
  cancelled: "stopped",
};

export const STAGES = {
  extract: "Reading the letter",
  route: "Choosing what to do",
  plan: "Writing the action plan",
  documents: "Drafting the documents",
};

export function routeLabel(route) {
  return ROUTES[route] ?? (route ? route.replaceAll("_", " ") : "Not decided yet");
}

export function label(map, key) {
  return map[key] ?? (key ? String(key).replaceAll("_", " ") : "—");
}

const DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** "2026-03-14" → "14 March 2026". */
export function longDate(iso) {
  if (!iso) return null;
  const date = new Date(`${String(iso).slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(iso) : DATE.format(date);
}

const MONEY = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

export function money(amount) {
  return amount === null || amount === undefined ? "—" : MONEY.format(amount);
}

export function daysLeftWords(days) {
  if (days === null || days === undefined) return "No deadline known";
  if (days < 0) return `${-days} day${days === -1 ? "" : "s"} overdue`;
  if (days === 0) return "Due today";
  return `${days} day${days === 1 ? "" : "s"} left`;
}

/** How urgent a deadline is, for styling: overdue, this week, or later. */
export function urgencyClass(days) {
  if (days === null || days === undefined) return "";
  if (days < 0) return "overdue";
  return days <= 7 ? "due-soon" : "";
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

export const FACT_LABELS = {
  payer_name: "Insurance company",
  plan_name: "Plan",
  plan_type: "Plan type",
  member_id: "Member ID",
  group_number: "Group number",
  claim_number: "Claim number",
  patient_name: "Patient",
  provider_name: "Provider",
  provider_npi: "Provider NPI",
  service_description: "Service",
  cpt_codes: "Procedure codes (CPT)",
  hcpcs_codes: "Supply codes (HCPCS)",
  icd10_codes: "Diagnosis codes (ICD-10)",
  denial_codes: "Denial codes",
  date_of_service: "Date of service",
  date_of_denial: "Date of the denial",
  appeal_window_days: "Days allowed to appeal",
  appeal_deadline: "Appeal deadline",
  billed_amount: "Amount billed",
  allowed_amount: "Amount allowed",
  paid_amount: "Amount paid",
  patient_responsibility: "Patient owes",
  denial_reason: "Reason given",
  urgency: "Urgency",
};
