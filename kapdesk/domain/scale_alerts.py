"""Alerts read from the in-session scales: sedation depth, psychotic-like symptoms, aspiration.

product.md, "Safety rules" and "Routes and monitoring rules":

* **MOAA/S** — a KAP sitting aims at 3–5; 2 (responds only to prodding) is deeper than intended: a
  *caution* at or below :attr:`AlertRules.moaas_caution` (2); 1 or 0 is deep sedation or
  unresponsiveness and needs action now: *critical* at or below :attr:`AlertRules.moaas_critical` (1).
* **BPRS+** — any of its four positive-symptom items at or above
  :attr:`AlertRules.bprs_item_caution` (5, "moderately severe") is a *caution*.
* **Aspiration** — vomiting recorded (the nausea scale's "vomited") while the MOAA/S in force is at
  or below :attr:`AlertRules.aspiration_moaas` (3: responds only to a loud voice) is a *caution*.
  "In force" is the latest MOAA/S at or before the nausea entry: the alert is about that moment.

Each function returns :class:`kapdesk.domain.alerts.Alert` values, so the board latches, records
and acknowledges them like the alerts of a reading. Their ``vital`` is the scale's key.

Pure: scale results in, alerts out.
"""

from __future__ import annotations

from kapdesk.domain.alerts import DEFAULT_RULES, Alert, AlertRules, severity_rank
from kapdesk.domain.scales import BPRS_PLUS, MOAAS, ScaleResult

__all__ = ["ASPIRATION_KEY", "BPRS_KEY", "MOAAS_CAUTION_KEY", "MOAAS_CRITICAL_KEY", "evaluate_scale", "sedation_of"]

MOAAS_CRITICAL_KEY = "moaas_unresponsive"
MOAAS_CAUTION_KEY = "moaas_deep"
BPRS_KEY = "bprs_item_high"
ASPIRATION_KEY = "aspiration_risk"

_MOAAS_ITEM = MOAAS.items[0]


def sedation_of(result: ScaleResult) -> int | None:
    """The MOAA/S score of a MOAA/S result; None for any other scale (or an unanswered one)."""
    if result.scale_key != MOAAS.key:
        return None
    return result.answer(_MOAAS_ITEM.key)


def evaluate_scale(result: ScaleResult, *, sedation: int | None = None,
                   rules: AlertRules = DEFAULT_RULES) -> list[Alert]:
    """The rules one scale entry breaks, critical first.

    ``sedation`` is the MOAA/S in force when the entry was made (for the aspiration rule on a
    nausea entry); None when no MOAA/S had been recorded, which raises no aspiration alert.
    """
    alerts: list[Alert] = []
    score = sedation_of(result)
    if score is not None:
        anchor = _MOAAS_ITEM.anchor(score) or ""
        for limit, key, severity, meaning in (
            (rules.moaas_critical, MOAAS_CRITICAL_KEY, "critical", "deep sedation: act now"),
            (rules.moaas_caution, MOAAS_CAUTION_KEY, "caution", "deeper than intended (KAP aims at 3–5)"),
        ):
            if limit is not None and score <= limit:
                alerts.append(Alert(key, severity, f"MOAA/S {score} ({anchor}): {meaning}",  # type: ignore[arg-type]
                                    MOAAS.key, score, limit))
                break
    elif result.scale_key == BPRS_PLUS.key and rules.bprs_item_caution is not None:
        limit = rules.bprs_item_caution
        high = [(item, result.answer(item.key)) for item in BPRS_PLUS.items]
        high = [(item, value) for item, value in high if value is not None and value >= limit]
        if high:
            parts = ", ".join(f"{item.label.lower()} {value} ({item.anchor(value) or ''})" for item, value in high)
            alerts.append(Alert(BPRS_KEY, "caution", f"BPRS+ {parts}: psychotic-like symptoms", BPRS_PLUS.key,
                                max(value for _, value in high), limit))
    elif result.scale_key == "nausea" and result.answer("vomited") == 1:
        limit = rules.aspiration_moaas
        if limit is not None and sedation is not None and sedation <= limit:
            alerts.append(Alert(ASPIRATION_KEY, "caution",
                                f"Vomited while MOAA/S {sedation}: aspiration risk, keep the airway clear",
                                "nausea", sedation, limit))
    return sorted(alerts, key=lambda a: severity_rank(a.severity))
