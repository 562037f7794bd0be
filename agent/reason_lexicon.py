"""Cue words per churn-reason code (German and English), shared by the brief and the analysis.

The brief matches them against notes, complaints and call summaries to
hypothesise why an account left; the analysis matches them against what the
customer said in a call to propose reasons that the model then confirms or
rejects. Entries are lower-case substrings, so a stem ("verspät") covers its
inflections. Written from the code definitions in DESIGN.md and the
labelling guidelines, not fitted to a dataset.
"""

from __future__ import annotations

LEXICON: dict[str, tuple[str, ...]] = {
    "delivery_reliability": (
        "teillieferung",
        "unvollständig",
        "lieferverzug",
        "zu spät",
        "verspät",
        "nicht geliefert",
        "falsch geliefert",
        "fehlte",
        "liefertermin",
        "late",
        "incomplete",
        "short delivery",
        "missing",
        "missed deliver",
        "delayed",
    ),
    "delivery_speed": (
        "lieferzeit",
        "eilauftrag",
        "eilbedarf",
        "nächsten tag",
        "folgetag",
        "kurzfristig",
        "arbeitstag",
        "lead time",
        "next day",
        "next-day",
        "urgent",
        "too slow",
        "delivery time",
    ),
    "product_quality": (
        "qualität",
        "mangel",
        "mängel",
        "ausschuss",
        "defekt",
        "rücksendung",
        "zurückgeschickt",
        "schickt",
        "maßabweichung",
        "standzeit",
        "unbrauchbar",
        "quality",
        "defect",
        "scrap",
        "returned",
        "tool life",
        "faulty",
    ),
    "service_neglect": (
        "niemand",
        "keiner gemeldet",
        "nicht übernommen",
        "allein gelassen",
        "unbeantwortet",
        "keine besuche",
        "keine rückrufe",
        "ausgeschieden",
        "nobody",
        "unanswered",
        "left the company",
        "no one called",
        "neglect",
    ),
    "poor_treatment": (
        "verärgert",
        "schroff",
        "unfair",
        "umgangston",
        "ton am telefon",
        "abgewiesen",
        "unfreundlich",
        "verweigert",
        "rude",
        "upset",
        "brushed off",
        "treated unfairly",
    ),
    "price_terms": (
        "preiserhöhung",
        "konditionen",
        "skonto",
        "sonderpreis",
        "zu teuer",
        "preisliste",
        "price increase",
        "special terms",
        "too expensive",
        "terms",
    ),
    "competitor_offer": (
        "wettbewerb",
        "angebot von",
        "günstiger",
        "konkurrenz",
        "mitbewerber",
        "competitor",
        "cheaper",
        "offer from",
        "konsignationslager",
        "consignment",
    ),
    "buyer_change": (
        "neuer einkäufer",
        "einkaufsleiter",
        "nicht mehr zuständig",
        "bündelt den einkauf",
        "umstrukturierung",
        "purchasing manager",
        "new buyer",
        "consolidates suppliers",
        "no longer buys",
        "restructur",
    ),
    "insolvency": (
        "insolvenz",
        "zahlungsverzug",
        "mahnstufe",
        "mahnung",
        "zahlungsschwierig",
        "liquidität",
        "insolven",
        "overdue",
        "payment delay",
        "liquidity",
    ),
    "need_gone": (
        "kein bedarf",
        "keinen bedarf",
        "nicht mehr benötigt",
        "stellt die fertigung um",
        "no longer be needed",
        "no longer needed",
        "no further demand",
    ),
}


def cues(text: str) -> dict[str, str]:
    """Code -> the first cue word of that code found in ``text`` (case-insensitive)."""
    lowered = text.lower()
    found: dict[str, str] = {}
    for code, words in LEXICON.items():
        hit = next((w for w in words if w in lowered), None)
        if hit:
            found[code] = hit
    return found
