"""UI texts of the review editor, the recording player and the account's win-back history.

Merged into :data:`api.i18n.TEXTS`; kept apart because they belong to one
page family. The names of domain codes (reasons, outcomes, step types) come
from the catalogue, not from here.
"""

from __future__ import annotations

REVIEW_TEXTS: dict[str, dict[str, str]] = {
    "reasons_hint": {
        "de": "Zutreffende Gründe ankreuzen, je mit dem wörtlichen Satz des Kunden als Beleg.",
        "en": "Tick the reasons that apply, each with the customer's own words as evidence.",
    },
    "quote": {"de": "Beleg (Zitat des Kunden)", "en": "Evidence (the customer's words)"},
    "suggested": {"de": "vorgeschlagen", "en": "suggested"},
    "step_type": {"de": "Art", "en": "Type"},
    "step_owner": {"de": "Zuständig", "en": "Owner"},
    "description": {"de": "Beschreibung", "en": "Description"},
    "due_date": {"de": "Fällig am", "en": "Due on"},
    "default_due": {
        "de": "ohne Datum: fällig nach {days} Arbeitstagen",
        "en": "without a date: due after {days} working days",
    },
    "remove": {"de": "Entfernen", "en": "Remove"},
    "take": {"de": "Übernehmen", "en": "Add"},
    "new_step": {"de": "Neuer Schritt", "en": "New step"},
    "add_step": {"de": "Schritt hinzufügen", "en": "Add a step"},
    "expectations": {"de": "Erwartungen des Kunden", "en": "Customer's expectations"},
    "sentiment": {"de": "Stimmung des Kunden", "en": "Customer's mood"},
    "sentiment_positive": {"de": "positiv", "en": "positive"},
    "sentiment_neutral": {"de": "neutral", "en": "neutral"},
    "sentiment_negative": {"de": "negativ", "en": "negative"},
    "sentiment_mixed": {"de": "gemischt", "en": "mixed"},
    "save_note": {"de": "Änderungen speichern", "en": "Save changes"},
    "save_and_approve": {"de": "Speichern und freigeben", "en": "Save and approve"},
    "form_errors": {
        "de": "Nicht gespeichert: bitte die markierten Felder prüfen.",
        "en": "Not saved: please check the marked fields.",
    },
    "recording": {"de": "Aufnahme", "en": "Recording"},
    "play_from": {"de": "Abspielen ab {ts}", "en": "Play from {ts}"},
    "use_quote": {"de": "Als Beleg übernehmen", "en": "Use as evidence"},
    "quote_target": {
        "de": "Ein Satz aus dem Transkript wird Beleg des zuletzt gewählten Grundes.",
        "en": "A sentence from the transcript becomes the evidence of the reason chosen last.",
    },
    # problems of a review form, by code (agent.errors.FieldErrors)
    "err_invalid_choice": {
        "de": "Bitte einen der angebotenen Werte wählen.",
        "en": "Please choose one of the values offered.",
    },  # fmt: skip
    "err_outcome_required": {
        "de": "Vor der Freigabe bitte das Ergebnis wählen.",
        "en": "Choose the outcome before approving.",
    },  # fmt: skip
    "err_too_long": {"de": "Der Text ist zu lang.", "en": "The text is too long."},
    "err_too_many": {"de": "Zu viele Einträge.", "en": "Too many entries."},
    "err_required": {"de": "Bitte ausfüllen.", "en": "Please fill this in."},
    "err_invalid_date": {"de": "Kein gültiges Datum.", "en": "Not a valid date."},
    "err_invalid_value": {"de": "Ungültiger Wert.", "en": "Invalid value."},
    "err_quote_too_short": {
        "de": "Das Zitat ist zu kurz, um etwas zu belegen.",
        "en": "The quote is too short to prove anything.",
    },
    "err_quote_by_rep": {
        "de": "Das hat der Vertrieb gesagt, nicht der Kunde.",
        "en": "The rep said this, not the customer.",
    },
    "err_quote_not_in_transcript": {
        "de": "Das hat der Kunde im Gespräch so nicht gesagt.",
        "en": "The customer did not say this in the call.",
    },
    "err_due_before_call": {
        "de": "Das Datum liegt vor dem Gespräch.",
        "en": "The date is before the call.",
    },
    # the account's win-back history
    "winback_history": {"de": "Rückgewinnung", "en": "Win-back"},
    "calls": {"de": "Gespräche", "en": "Calls"},
    "calls_none": {"de": "Noch keine Gespräche.", "en": "No calls yet."},
    "open_tasks": {"de": "Offene Aufgaben", "en": "Open tasks"},
    "tasks_none": {"de": "Keine offenen Aufgaben.", "en": "No open tasks."},
    "reason_history": {"de": "Festgestellte Abwanderungsgründe", "en": "Churn reasons found"},
    "reasons_none": {"de": "Noch keine festgestellt.", "en": "None found yet."},
    "stage_queued": {"de": "Aufnahme wartet auf Verarbeitung", "en": "recording queued"},
    "stage_processing": {"de": "wird transkribiert", "en": "being transcribed"},
    "stage_transcribed": {"de": "wird analysiert", "en": "being analysed"},
    "stage_analyzed": {"de": "analysiert", "en": "analysed"},
    "stage_failed": {"de": "Verarbeitung fehlgeschlagen", "en": "processing failed"},
    "audio_gone": {
        "de": "Die Aufnahme ist nicht mehr gespeichert (Aufbewahrung laut Einstellung "
        "retention_audio); das Transkript bleibt. Zum Anhören in der Prüfung: after_review.",
        "en": "The recording is no longer stored (retention per the retention_audio "
        "setting); the transcript stays. To listen during review: after_review.",
    },
    "acct_active": {"de": "aktiv", "en": "active"},
    "acct_insolvent": {"de": "insolvent", "en": "insolvent"},
    "acct_lost": {"de": "verloren – nicht mehr anrufen", "en": "lost – do not call again"},
    "acct_do_not_contact": {"de": "keinen Kontakt wünschen", "en": "do not contact"},
    "call_of": {"de": "Gespräch vom {day}", "en": "Call of {day}"},
}
