"""UI texts in German (default) and English.

A small dictionary is enough for a server-rendered app of a dozen pages;
:func:`translator` returns a function ``t(key, **values)`` for templates.
A missing English text falls back to German, a missing key shows the key,
so a forgotten entry is visible instead of crashing a page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from api.review_texts import REVIEW_TEXTS

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"de": "Winback", "en": "Winback"},
    "nav_today": {"de": "Heutige Anrufe", "en": "Today's calls"},
    "nav_accounts": {"de": "Kunden", "en": "Accounts"},
    "nav_notes": {"de": "Meine Notizen", "en": "My notes"},
    "nav_all_notes": {"de": "Notizen", "en": "Notes"},
    "nav_review": {"de": "Prüfung", "en": "Review"},
    "nav_analytics": {"de": "Auswertung", "en": "Analytics"},
    "logout": {"de": "Abmelden", "en": "Log out"},
    "login": {"de": "Anmelden", "en": "Log in"},
    "login_title": {"de": "Bei Winback anmelden", "en": "Log in to Winback"},
    "tenant": {"de": "Mandant", "en": "Tenant"},
    "username": {"de": "Benutzername", "en": "Username"},
    "password": {"de": "Passwort", "en": "Password"},
    "login_failed": {
        "de": "Benutzername oder Passwort ist falsch.",
        "en": "Wrong username or password.",
    },
    "today_title": {"de": "Ihre Rückgewinnungs-Anrufe", "en": "Your win-back calls"},
    "today_none": {
        "de": "Für diesen Tag sind keine Anrufe geplant.",
        "en": "No calls are planned for this day.",
    },
    "day": {"de": "Tag", "en": "Day"},
    "time": {"de": "Uhrzeit", "en": "Time"},
    "account": {"de": "Kunde", "en": "Account"},
    "rep": {"de": "Außendienst", "en": "Rep"},
    "rank": {"de": "Rang", "en": "Rank"},
    "score": {"de": "Punkte", "en": "Score"},
    "last_order": {"de": "Letzte Bestellung", "en": "Last order"},
    "status": {"de": "Status", "en": "Status"},
    "owner": {"de": "Betreuer", "en": "Owner"},
    "unassigned": {"de": "nicht zugeordnet", "en": "unassigned"},
    "assign": {"de": "Zuordnen", "en": "Assign"},
    "city": {"de": "Ort", "en": "City"},
    "history": {"de": "Historie", "en": "History"},
    "orders": {"de": "Bestellungen", "en": "Orders"},
    "notes": {"de": "Notizen", "en": "Notes"},
    "tasks": {"de": "Aufgaben", "en": "Tasks"},
    "due": {"de": "fällig", "en": "due"},
    "brief": {"de": "Gesprächsvorbereitung", "en": "Call brief"},
    "prepare_brief": {"de": "Gespräch vorbereiten", "en": "Prepare brief"},
    "brief_running": {"de": "Vorbereitung läuft …", "en": "Preparing …"},
    "no_brief": {"de": "Noch keine Vorbereitung.", "en": "No brief yet."},
    "ai_generated": {"de": "KI-generiert – bitte prüfen", "en": "AI-generated – please check"},
    "situation": {"de": "Lage", "en": "Situation"},
    "key_facts": {"de": "Fakten aus dem CRM", "en": "Facts from the CRM"},
    "hypotheses": {"de": "Mögliche Abwanderungsgründe", "en": "Likely churn reasons"},
    "opening": {"de": "Einstiegsfrage", "en": "Opening question"},
    "talking_points": {"de": "Gesprächspunkte", "en": "Talking points"},
    "objections": {"de": "Einwände und Antworten", "en": "Objections and answers"},
    "incentive": {"de": "Rückholköder", "en": "Incentive"},
    "avoid": {"de": "Vermeiden", "en": "Avoid"},
    "flags": {"de": "Entfernt (nicht belegt)", "en": "Removed (not grounded)"},
    "upload_title": {"de": "Gesprächsaufnahme hochladen", "en": "Upload a call recording"},
    "drop_here": {
        "de": "Datei hierher ziehen oder auswählen",
        "en": "Drop the file here or choose one",
    },
    "consent_given_by": {"de": "Einwilligung gegeben von", "en": "Consent given by"},
    "consent_method": {"de": "Art der Einwilligung", "en": "Consent method"},
    "consent_at": {"de": "Einwilligung am", "en": "Consent given at"},
    "consent_text": {"de": "Version des Einwilligungstexts", "en": "Consent text version"},
    "consent_confirm": {
        "de": "Ich bestätige, dass der Kunde der Aufnahme vorab zugestimmt hat.",
        "en": "I confirm the customer agreed to the recording beforehand.",
    },
    "method_verbal_at_call_start": {"de": "mündlich zu Gesprächsbeginn", "en": "verbal at start"},
    "method_written": {"de": "schriftlich", "en": "written"},
    "method_electronic": {"de": "elektronisch", "en": "electronic"},
    "upload": {"de": "Hochladen", "en": "Upload"},
    "upload_progress": {"de": "Upload", "en": "Upload"},
    "upload_conflict": {
        "de": "Diese Aufnahme wurde bereits hochgeladen – von einer Kollegin, einem Kollegen "
        "oder für einen anderen Kunden – und wird nur einmal gespeichert. Nichts wurde "
        "gespeichert; bitte fragen Sie Ihre Vertriebsleitung, zu welchem Kunden sie gehört.",
        "en": "This recording has already been uploaded – by a colleague or for another "
        "customer – and is kept only once. Nothing was stored; please ask your sales manager "
        "which customer it belongs to.",
    },
    "job_progress": {"de": "Verarbeitung", "en": "Processing"},
    "note_ready": {"de": "Notizentwurf ist fertig:", "en": "Draft note is ready:"},
    "open_note": {"de": "Notiz öffnen", "en": "Open note"},
    "recordings": {"de": "Aufnahmen", "en": "Recordings"},
    "call_notes": {"de": "Gesprächsnotizen", "en": "Call notes"},
    "summary": {"de": "Zusammenfassung", "en": "Summary"},
    "outcome": {"de": "Ergebnis", "en": "Outcome"},
    "churn_reasons": {"de": "Abwanderungsgründe", "en": "Churn reasons"},
    "evidence": {"de": "Beleg", "en": "Evidence"},
    "next_steps": {"de": "Nächste Schritte", "en": "Next steps"},
    "transcript": {"de": "Transkript", "en": "Transcript"},
    "no_transcript": {"de": "Kein Transkript vorhanden.", "en": "No transcript."},
    "approve": {"de": "Freigeben", "en": "Approve"},
    "reject": {"de": "Ablehnen", "en": "Reject"},
    "save": {"de": "Speichern", "en": "Save"},
    "uncertain": {"de": "unsicher – bitte prüfen", "en": "uncertain – please check"},
    "choose_outcome": {"de": "Ergebnis wählen", "en": "Choose the outcome"},
    "take_reasons": {"de": "Zutreffende Gründe übernehmen", "en": "Add the reasons that apply"},
    "take_steps": {"de": "Vereinbarte Schritte übernehmen", "en": "Add the steps that were agreed"},
    "confidence": {"de": "Sicherheit", "en": "confidence"},
    "edit_note": {"de": "Entwurf bearbeiten", "en": "Edit the draft"},
    "no_choice": {"de": "– bitte wählen –", "en": "– please choose –"},
    "owner_rep": {"de": "Vertrieb", "en": "sales"},
    "owner_customer": {"de": "Kunde", "en": "customer"},
    "reason": {"de": "Begründung", "en": "Reason"},
    "comment": {"de": "Kommentar", "en": "Comment"},
    "edited": {"de": "bearbeitet", "en": "edited"},
    "review_title": {"de": "Notizen zur Prüfung", "en": "Notes to review"},
    "review_none": {"de": "Keine Entwürfe offen.", "en": "No drafts waiting."},
    "notes_none": {"de": "Noch keine Gesprächsnotizen.", "en": "No call notes yet."},
    "analytics_title": {"de": "Auswertung", "en": "Analytics"},
    "reasons_over_time": {"de": "Abwanderungsgründe je Monat", "en": "Churn reasons by month"},
    "internal_external": {
        "de": "Selbst verursacht (intern) vs. extern",
        "en": "Controllable (internal) vs external",
    },
    "internal": {"de": "intern", "en": "internal"},
    "external": {"de": "extern", "en": "external"},
    "funnel": {"de": "Rückgewinnungs-Trichter", "en": "Win-back funnel"},
    "funnel_planned": {"de": "geplant", "en": "planned"},
    "funnel_called": {"de": "angerufen", "en": "called"},
    "funnel_follow_up": {"de": "Folgeschritt", "en": "follow-up"},
    "funnel_reactivated": {"de": "reaktiviert", "en": "reactivated"},
    "pareto": {"de": "Pareto-Kurve des Plans", "en": "Pareto curve of the plan"},
    "pareto_cut": {
        "de": "{calls} Anrufe bringen {share} % des erwarteten Werts",
        "en": "{calls} calls bring {share}% of the expected value",
    },
    "axis_month": {"de": "Monat", "en": "Month"},
    "expected_value_col": {"de": "Erwarteter Wert", "en": "Expected value"},
    "axis_reason_count": {"de": "Nennungen", "en": "Mentions"},
    "axis_calls_ranked": {
        "de": "Anrufe, nach erwartetem Wert geordnet",
        "en": "Calls, ordered by expected value",
    },
    "axis_value_share": {"de": "Anteil am erwarteten Wert", "en": "Share of expected value"},
    "funnel_log_scale": {
        "de": "Balkenlänge logarithmisch, Zahlen exakt",
        "en": "Bar length on a log scale, numbers exact",
    },
    "funnel_empty": {
        "de": "Noch keine geplanten oder angerufenen Kunden.",
        "en": "No planned or called accounts yet.",
    },
    "coaching_title": {"de": "Coaching je Außendienst", "en": "Coaching per rep"},
    "coaching_intro": {
        "de": "Zahlen je Außendienst-Mitarbeiter, erlaubt durch: {agreement}. "
        "Nur Führungskräfte sehen diese Seite; der Betriebsrat sieht die Team-Übersicht.",
        "en": "Figures per rep, permitted by: {agreement}. "
        "Only managers see this page; the works council sees the team overview.",
    },
    "coaching_calls": {"de": "Gespräche", "en": "Calls"},
    "coaching_approved": {"de": "freigegeben", "en": "approved"},
    "coaching_reactivated": {"de": "reaktiviert", "en": "reactivated"},
    "coaching_follow_up": {"de": "Folgeschritt", "en": "follow-up"},
    "coaching_lost": {"de": "verloren", "en": "lost"},
    "coaching_rate": {"de": "Rückgewinnungsquote", "en": "Win-back rate"},
    "coaching_talk_share": {"de": "Redeanteil", "en": "Talk share"},
    "coaching_minutes": {"de": "Minuten je Gespräch", "en": "Minutes per call"},
    "coaching_top_reason": {"de": "häufigster Grund", "en": "Top reason"},
    "coaching_none": {
        "de": "Im Zeitraum keine Gespräche.",
        "en": "No calls in this period.",
    },
    "coaching_period": {"de": "Zeitraum: {start} bis {end}", "en": "Period: {start} to {end}"},
    "coaching_talk_note": {
        "de": "Redeanteil: Anteil der Sprechzeit des Außendienstes an der Gesprächszeit "
        "(nur Aufnahmen mit getrennten Kanälen).",
        "en": "Talk share: the rep's share of speaking time (two-channel recordings only).",
    },
    "no_data": {"de": "Noch keine Daten.", "en": "No data yet."},
    "error": {"de": "Fehler", "en": "Error"},
    "back": {"de": "Zurück", "en": "Back"},
    "language": {"de": "Sprache", "en": "Language"},
    "status_pending_review": {"de": "zur Prüfung", "en": "pending review"},
    "status_approved": {"de": "freigegeben", "en": "approved"},
    "status_rejected": {"de": "abgelehnt", "en": "rejected"},
    "status_failed": {"de": "fehlgeschlagen", "en": "failed"},
    # rate limits and the works council view
    "login_rate_limited": {
        "de": "Zu viele Anmeldeversuche. Bitte in {seconds} Sekunden erneut versuchen.",
        "en": "Too many login attempts. Please try again in {seconds} seconds.",
    },
    "login_rate_limited_long": {
        "de": "Zu viele fehlgeschlagene Anmeldungen für diesen Benutzer. Bitte in {minutes} "
        "Minuten erneut versuchen oder den Administrator fragen.",
        "en": "Too many failed logins for this user. Please try again in {minutes} minutes "
        "or ask your administrator.",
    },
    "nav_team": {"de": "Team-Übersicht", "en": "Team overview"},
    "team_title": {
        "de": "Team-Übersicht (Betriebsrat)",
        "en": "Team overview (works council)",
    },
    "team_intro": {
        "de": "Nur Summen des ganzen Teams: keine Zahlen je Außendienstmitarbeiter, "
        "keine Stimmungs- oder Emotionswerte.",
        "en": "Team totals only: no figures per rep, no sentiment or emotion scores.",
    },
    "team_month": {"de": "Monat", "en": "Month"},
    "team_calls_planned": {"de": "Anrufe geplant", "en": "Calls planned"},
    "team_calls_made": {"de": "Anrufe geführt", "en": "Calls made"},
    "team_notes_approved": {"de": "Notizen freigegeben", "en": "Notes approved"},
    "team_outcomes": {"de": "Gesprächsergebnisse", "en": "Call outcomes"},
    "team_total": {"de": "Summe", "en": "Total"},
    "team_planned_note": {
        "de": "Geplante Anrufe: Tagesplan des Systems ab {day} bis Monatsende "
        "(frühere Pläne werden nicht gespeichert).",
        "en": "Calls planned: the system's daily plan from {day} to the end of the month "
        "(past plans are not stored).",
    },
    # quotas on model work (agent/quotas.py) and other 429 answers
    "rate_limited": {
        "de": "Zu viele Anfragen. Bitte in {seconds} Sekunden erneut versuchen.",
        "en": "Too many requests. Please try again in {seconds} seconds.",
    },
    "quota_briefs": {
        "de": "Sie haben bereits {limit} Gesprächsvorbereitungen in der Warteschlange. "
        "Bitte warten Sie, bis eine fertig ist (etwa {seconds} Sekunden).",
        "en": "You already have {limit} briefs waiting. Please wait until one is done "
        "(about {seconds} seconds).",
    },
    "quota_audio": {
        "de": "Ihr Tageskontingent von {limit} Minuten Gesprächsaufnahmen ist erreicht "
        "(bereits {used} Minuten in 24 Stunden, diese Aufnahme {minutes} Minuten). "
        "Wieder möglich in etwa {hours} Stunden.",
        "en": "Your daily allowance of {limit} minutes of recordings is used up ({used} "
        "minutes in 24 hours, this recording {minutes} minutes). Possible again in about "
        "{hours} hours.",
    },
    # the user's own page: sessions and API tokens
    "me_title": {"de": "Mein Konto", "en": "My account"},
    "sessions_title": {"de": "Angemeldete Geräte", "en": "Signed-in devices"},
    "sessions_intro": {
        "de": "Hier sind Sie gerade angemeldet. Beenden Sie Sitzungen, die Sie nicht kennen.",
        "en": "You are signed in here. End any session you do not recognise.",
    },
    "session_device": {"de": "Browser", "en": "Browser"},
    "session_address": {"de": "Adresse", "en": "Address"},
    "session_since": {"de": "Seit", "en": "Since"},
    "session_seen": {"de": "Zuletzt aktiv", "en": "Last active"},
    "session_expires": {"de": "Läuft ab", "en": "Expires"},
    "session_current": {"de": "diese Sitzung", "en": "this session"},
    "session_end": {"de": "Abmelden", "en": "Sign out"},
    "sessions_end_all": {"de": "Überall abmelden", "en": "Sign out everywhere"},
    "tokens_title": {"de": "API-Tokens", "en": "API tokens"},
    "tokens_none": {"de": "Keine gültigen API-Tokens.", "en": "No valid API tokens."},
    "tokens_intro": {
        "de": "API-Tokens bleiben beim Abmelden gültig; die Administration widerruft sie "
        "(winback users revoke-token).",
        "en": "API tokens stay valid when you sign out; an administrator revokes them "
        "(winback users revoke-token).",
    },
    "token_name": {"de": "Name", "en": "Name"},
    "token_used": {"de": "Zuletzt benutzt", "en": "Last used"},
    "token_never": {"de": "nie", "en": "never"},
    # the plan's value model, win-back chances and exclusions
    "value_model": {"de": "Wie der Plan Kunden bewertet", "en": "How the plan values customers"},
    "value_model_fitted": {
        "de": "Kaufmodell (BG/NBD) und Umsatzmodell (Gamma-Gamma), angepasst an {customers} "
        "Kunden, davon {repeat} mit Wiederkauf.",
        "en": "Purchase model (BG/NBD) and spend model (Gamma-Gamma), fitted on {customers} "
        "customers, {repeat} of them with a repeat purchase.",
    },
    "value_model_prior": {
        "de": "Zu wenig Bestellhistorie für das Modell ({customers} Kunden, {repeat} mit "
        "Wiederkauf): Rangfolge nach der transparenten Annahme (Gewinnchance 10 % × "
        "Beziehung, halbiert je 12 Monate Pause).",
        "en": "Too little order history for the model ({customers} customers, {repeat} with a "
        "repeat purchase): ranked by the transparent prior (win-back chance 10 % × ease, "
        "halved per 12 months lapsed).",
    },
    "value_explain": {
        "de": "Erwarteter Wert in den nächsten 12 Monaten: {value} = P(Rückkehr) {p} × "
        "erwarteter Umsatz {spend}",
        "en": "Expected value in the next 12 months: {value} = P(return) {p} × expected "
        "spend {spend}",
    },
    "top_calls": {"de": "Die ersten Anrufe und ihr Wert", "en": "The first calls and their value"},
    "call_value_note": {
        "de": "Reihenfolge: erwarteter Wert × Gewinnchance der Beziehung ÷ 30 % (nicht bewertet), "
        "so kommen leichte Beziehungen zuerst.",
        "en": "Order: expected value × the relationship's win-back chance ÷ 30 % (not rated), "
        "so easy relationships come first.",
    },
    "segments_title": {
        "de": "Gewinnchance eines Anrufs je Beziehung (aus freigegebenen Ergebnissen)",
        "en": "Win-back chance of a call per relationship (from approved outcomes)",
    },
    "segment": {"de": "Beziehung", "en": "Relationship"},
    "segment_unrated": {"de": "nicht bewertet", "en": "not rated"},
    "segment_prior": {"de": "Annahme", "en": "Prior"},
    "segment_outcomes": {"de": "Ergebnisse", "en": "Outcomes"},
    "segment_reactivated": {"de": "reaktiviert", "en": "reactivated"},
    "segment_open": {"de": "offen", "en": "open"},
    "segment_chance": {"de": "Gewinnchance", "en": "Win-back chance"},
    "segment_interval": {"de": "90-%-Intervall", "en": "90 % interval"},
    "excluded_title": {"de": "Nicht angerufen", "en": "Not called"},
    "excluded_none": {"de": "Kein Kunde ausgeschlossen.", "en": "No customer excluded."},
    "excluded_insolvent": {"de": "insolvent", "en": "insolvent"},
    "excluded_lost": {"de": "verloren", "en": "lost"},
    "excluded_do_not_contact": {"de": "keinen Kontakt wünschen", "en": "do not contact"},
    "excluded_follow_up": {"de": "Wiedervorlage am {day}", "en": "follow-up agreed for {day}"},
    # stages of a recording as a rep reads them (agent/calls/progress.py)
    "stage_uploaded": {
        "de": "Hochgeladen – wartet auf die Transkription",
        "en": "Uploaded – waiting for the transcription",
    },
    "stage_transcribing": {"de": "Transkription läuft", "en": "Transcribing"},
    "stage_analysing": {"de": "Analyse läuft", "en": "Analysing"},
    "stage_draft_ready": {"de": "Entwurf fertig", "en": "Draft ready"},
    "stage_percent": {"de": "{stage} – {percent} %", "en": "{stage} – {percent}%"},
    "eta_seconds": {"de": "noch etwa {seconds} Sekunden", "en": "about {seconds} seconds left"},
    "eta_minutes": {"de": "noch etwa {minutes} Minuten", "en": "about {minutes} minutes left"},
    "eta_basis_measured": {
        "de": "geschätzt aus den bisherigen Aufnahmen",
        "en": "estimated from earlier recordings",
    },
    "eta_basis_default": {
        "de": "grob geschätzt (noch wenige Messwerte)",
        "en": "rough estimate (few measurements yet)",
    },
    "recordings_open": {"de": "Aufnahmen in Bearbeitung", "en": "Recordings in progress"},
    "recordings_none_open": {
        "de": "Keine Aufnahme in Bearbeitung.",
        "en": "No recording in progress.",
    },
    "stage": {"de": "Stand", "en": "Stage"},
    "estimate": {"de": "Schätzung", "en": "Estimate"},
    "uploaded_at": {"de": "Hochgeladen", "en": "Uploaded"},
    "length": {"de": "Länge", "en": "Length"},
    "follow_recording": {"de": "Fortschritt ansehen", "en": "Follow progress"},
    "recording_title": {"de": "Aufnahme vom {day}", "en": "Recording of {day}"},
    # the brief page
    "call_page": {"de": "Anruf", "en": "Call"},
    "open_call": {"de": "Anruf vorbereiten", "en": "Prepare the call"},
    "contact": {"de": "Ansprechpartner", "en": "Contact"},
    "call_contact": {"de": "{name} anrufen", "en": "Call {name}"},
    "no_phone": {"de": "Keine Telefonnummer hinterlegt.", "en": "No phone number on file."},
    "do_not_call": {"de": "Nicht anrufen", "en": "Do not call"},
    "do_not_call_upload": {
        "de": "Für diesen Kunden werden keine Gesprächsaufnahmen angenommen.",
        "en": "No call recordings are accepted for this customer.",
    },
    "supported_by": {"de": "Beleg", "en": "Supported by"},
    "sources": {"de": "Quellen", "en": "Sources"},
    "source": {"de": "Quelle", "en": "Source"},
    "source_order": {"de": "Bestellung", "en": "Order"},
    "source_note": {"de": "Notiz", "en": "Note"},
    "source_call": {"de": "Gespräch", "en": "Call"},
    "source_account": {"de": "Kundenstamm", "en": "Account record"},
    "source_plan": {"de": "Plan", "en": "Plan"},
    "hypothesis_line": {
        "de": "{name} ({group}, {percent} %)",
        "en": "{name} ({group}, {percent}%)",
    },
    "basis_call_label": {"de": "aus einem früheren Gespräch", "en": "from an earlier call"},
    "basis_crm_status": {"de": "laut Kundenstatus", "en": "from the account status"},
    "basis_keywords": {"de": "aus Notizen und Reklamationen", "en": "from notes and complaints"},
    "group_internal": {"de": "intern", "en": "internal"},
    "group_external": {"de": "extern", "en": "external"},
    "group_other": {"de": "sonstig", "en": "other"},
    "more_details": {"de": "Details zum Kunden", "en": "Customer details"},
    "brief_version": {"de": "Version {version} vom {day}", "en": "Version {version} of {day}"},
    "account_page": {"de": "Kundenseite", "en": "Account page"},
    # account statuses, note kinds and speakers (codes of agent/crm/models.py)
    "account_status_active": {"de": "aktiv", "en": "active"},
    "account_status_insolvent": {"de": "insolvent", "en": "insolvent"},
    "account_status_lost": {"de": "verloren", "en": "lost"},
    "account_status_do_not_contact": {"de": "kein Kontakt gewünscht", "en": "do not contact"},
    "note_kind_note": {"de": "Notiz", "en": "Note"},
    "note_kind_call": {"de": "Anruf", "en": "Call"},
    "note_kind_visit": {"de": "Besuch", "en": "Visit"},
    "note_kind_email": {"de": "E-Mail", "en": "Email"},
    "note_kind_meeting": {"de": "Termin", "en": "Meeting"},
    "note_kind_complaint": {"de": "Reklamation", "en": "Complaint"},
    "speaker_rep": {"de": "Vertrieb", "en": "Rep"},
    "speaker_customer": {"de": "Kunde", "en": "Customer"},
    "speaker_unknown": {"de": "Sprecher unklar", "en": "Speaker unclear"},
    "role_rep": {"de": "Außendienst", "en": "rep"},
    "role_manager": {"de": "Vertriebsleitung", "en": "manager"},
    "role_admin": {"de": "Administration", "en": "admin"},
    "role_council": {"de": "Betriebsrat", "en": "works council"},
    "task_status_open": {"de": "offen", "en": "open"},
    "task_status_done": {"de": "erledigt", "en": "done"},
    "task_status_cancelled": {"de": "abgebrochen", "en": "cancelled"},
    # login: the tenant
    "tenant_hint": {
        "de": "Leer lassen, wenn Ihr Benutzername nur in einem Mandanten vorkommt.",
        "en": "Leave empty if your username exists in one tenant only.",
    },
    "login_failed_tenant": {
        "de": "Anmeldung im Mandanten „{tenant}“ fehlgeschlagen: Benutzername oder Passwort "
        "ist falsch.",
        "en": "Login to the tenant “{tenant}” failed: wrong username or password.",
    },
    "login_tenant_ambiguous": {
        "de": "Diesen Benutzernamen gibt es in mehreren Mandanten – bitte den Mandanten angeben.",
        "en": "This username exists in several tenants – please enter the tenant.",
    },
    "consent_required": {
        "de": "Bitte bestätigen Sie, dass der Kunde der Aufnahme vorab zugestimmt hat.",
        "en": "Please confirm that the customer agreed to the recording beforehand.",
    },
    "choose_file": {
        "de": "Bitte wählen Sie eine Audiodatei.",
        "en": "Please choose an audio file.",
    },
    "network_error": {
        "de": "Keine Verbindung zum Server. Bitte erneut versuchen.",
        "en": "No connection to the server. Please try again.",
    },
    "skip_link": {"de": "Zum Inhalt", "en": "Skip to content"},
    "main_menu": {"de": "Hauptmenü", "en": "Main menu"},
    "year": {"de": "Jahr", "en": "Year"},
    "search": {"de": "Suchen", "en": "Search"},
    "brief_failed": {
        "de": "Die Gesprächsvorbereitung ist fehlgeschlagen. Bitte erneut versuchen; hilft das "
        "nicht, die Administration fragen.",
        "en": "The brief could not be prepared. Please try again; if that does not help, ask "
        "your administrator.",
    },
    "revenue": {"de": "Umsatz", "en": "Revenue"},
}


def merge_texts(
    base: dict[str, dict[str, str]], extra: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """``base`` with the keys of ``extra`` added; a key defined in both is an error."""
    both = sorted(base.keys() & extra.keys())
    if both:
        raise ValueError(f"UI texts defined twice: {', '.join(both)}")
    return {**base, **extra}


TEXTS = merge_texts(TEXTS, REVIEW_TEXTS)


def text(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (German fallback), formatted with ``values``."""
    entry = TEXTS.get(key)
    if entry is None:
        return key
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template


def translator(language: str) -> Callable[..., str]:
    """A ``t(key, **values)`` function bound to ``language``."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    return t


# --- numbers and dates as people in each language write them ---------------------------


def _as_date(value: Any) -> date | datetime | None:
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


def format_date(value: Any, language: str) -> str:
    """A day as ``04.12.2026`` (German) or ``4 Dec 2026`` (English); ``–`` when empty."""
    day = _as_date(value)
    if day is None:
        return "–" if not value else str(value)
    if language == "en":
        return f"{day.day} {day.strftime('%b')} {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_datetime(value: Any, language: str) -> str:
    """A moment as ``04.12.2026 14:05`` (German) or ``4 Dec 2026 14:05`` (English)."""
    moment = _as_date(value)
    if not isinstance(moment, datetime):
        return format_date(value, language)
    return f"{format_date(moment, language)} {moment.strftime('%H:%M')}"


def format_number(value: Any, language: str, decimals: int = 0) -> str:
    """``35.956,00`` (German) or ``35,956.00`` (English), rounded half up."""
    if value is None or value == "":
        return "–"
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text_en = f"{amount:,.{decimals}f}"
    if language == "en":
        return text_en
    return text_en.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_money(value: Any, language: str, decimals: int = 2) -> str:
    """An amount in euros: ``35.956,00 €`` (German) or ``€35,956.00`` (English)."""
    if value is None or value == "":
        return "–"
    number = format_number(value, language, decimals)
    return f"€{number}" if language == "en" else f"{number} €"


def format_percent(share: Any, language: str) -> str:
    """A share 0..1 as ``26 %`` (German) or ``26%`` (English); one decimal below 10 % and
    above 99 %, where whole numbers would hide the difference."""
    if share is None:
        return "–"
    value = float(share) * 100
    number = format_number(value, language, 1 if value < 10 or value > 99 else 0)
    return f"{number}%" if language == "en" else f"{number} %"


def format_duration(seconds: Any, language: str) -> str:
    """A call length as ``4:05 min``."""
    if seconds is None:
        return "–"
    whole = int(round(float(seconds)))
    return f"{whole // 60}:{whole % 60:02d} min"


def eta_text(seconds: int | None, language: str) -> str:
    """The time left as words: "noch etwa 40 Sekunden", "noch etwa 3 Minuten"."""
    if seconds is None:
        return ""
    if seconds < 90:
        return text("eta_seconds", language, seconds=max(5, 5 * round(seconds / 5)))
    return text("eta_minutes", language, minutes=round(seconds / 60))


def _language_of(context: Context) -> str:
    lang = context.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@pass_context
def date_filter(context: Context, value: Any) -> str:
    """Jinja ``|date``: :func:`format_date` in the page's language."""
    return format_date(value, _language_of(context))


@pass_context
def datetime_filter(context: Context, value: Any) -> str:
    """Jinja ``|datetime``: :func:`format_datetime` in the page's language."""
    return format_datetime(value, _language_of(context))


@pass_context
def money_filter(context: Context, value: Any, decimals: int = 2) -> str:
    """Jinja ``|money``: :func:`format_money` in the page's language."""
    return format_money(value, _language_of(context), decimals)


@pass_context
def number_filter(context: Context, value: Any, decimals: int = 0) -> str:
    """Jinja ``|number``: :func:`format_number` in the page's language."""
    return format_number(value, _language_of(context), decimals)


@pass_context
def percent_filter(context: Context, value: Any) -> str:
    """Jinja ``|percent``: :func:`format_percent` in the page's language."""
    return format_percent(value, _language_of(context))


@pass_context
def duration_filter(context: Context, value: Any) -> str:
    """Jinja ``|duration``: :func:`format_duration`."""
    return format_duration(value, _language_of(context))


#: The filters :mod:`api.views` installs on the template environment.
FILTERS: dict[str, Callable[..., str]] = {
    "date": date_filter,
    "datetime": datetime_filter,
    "money": money_filter,
    "number": number_filter,
    "duration": duration_filter,
    "percent": percent_filter,
}
