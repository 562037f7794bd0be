"""Names for the demo tenant: companies, places, people, e-mail addresses and phones.

Everything here is invented. E-mail addresses use the reserved ``.example``
top-level domain (RFC 2606) and phone numbers come from ranges set aside for
fiction: the Bundesnetzagentur's film/TV numbers in Germany, Ofcom's drama
numbers in the UK and 555-0100…0199 in the US. Ireland has no such range, so
Irish contacts get no phone number rather than a possibly real one.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    """Split a space-separated word list (keeps the long name lists compact)."""
    return tuple(text.split())


GERMAN_SURNAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
    "Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter "
    "Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel "
    "Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht "
    "Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto "
    "Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Dietrich Ziegler Kuhn Kühn Pohl "
    "Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Brinkmann Ebert "
    "Kessler Eckert"
)
GERMAN_FIRST_MALE = _words(
    "Thomas Michael Andreas Stefan Frank Markus Christian Jürgen Uwe Ralf Matthias Jan Tobias "
    "Florian Sebastian Dirk Holger Martin Peter Klaus Bernd Oliver Carsten Jens"
)
GERMAN_FIRST_FEMALE = _words(
    "Sabine Petra Claudia Susanne Andrea Nicole Stefanie Julia Katrin Anja Birgit Sandra "
    "Melanie Kerstin Tanja Christina Monika Heike Silke Nadine"
)
ENGLISH_SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Evans Thomas Roberts Walker "
    "Wright Thompson Hughes Green Hall Clarke Murphy Kelly Byrne Walsh Ryan O'Brien Miller "
    "Anderson Harris Carter Mitchell Turner Parker Collins"
)
ENGLISH_FIRST = _words(
    "James John David Michael Paul Mark Richard Andrew Sarah Emma Claire Helen Laura Rachel "
    "Karen Susan Patrick Sean Siobhan Aoife Brian Kevin Megan Jennifer Robert"
)

#: German cities with their rough weight (industrial regions appear more often).
GERMAN_CITIES = _words(
    "Stuttgart Esslingen Reutlingen Heilbronn Ulm Pforzheim Karlsruhe Mannheim Augsburg "
    "Nürnberg Regensburg Ingolstadt München Würzburg Schweinfurt Frankfurt Offenbach Kassel "
    "Siegen Hagen Dortmund Bochum Wuppertal Solingen Remscheid Bielefeld Paderborn Köln "
    "Düsseldorf Duisburg Hannover Braunschweig Wolfsburg Osnabrück Bremen Hamburg Kiel "
    "Leipzig Chemnitz Zwickau Dresden Erfurt Jena Magdeburg Saarbrücken Kaiserslautern"
)
UK_CITIES = ("Birmingham", "Sheffield", "Coventry", "Leeds", "Manchester", "Derby", "Bristol")
IE_CITIES = ("Dublin", "Cork", "Limerick", "Galway")
US_CITIES = (
    ("Cleveland", "216"),
    ("Milwaukee", "414"),
    ("Grand Rapids", "616"),
    ("Charlotte", "704"),
)
REGIONS = _words(
    "Rheintal Neckar Alb Ruhr Weser Main Saale Lahn Eifel Allgäu Taunus Sauerland Harz "
    "Kraichgau Spessart Vogtland Hohenlohe Oberland"
)

#: Words that fit an industry in a company name.
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "Maschinenbau": ("Maschinenbau", "Maschinenfabrik", "Sondermaschinenbau"),
    "Metallbau": ("Metallbau", "Metalltechnik", "Blechbearbeitung"),
    "Stahlbau": ("Stahlbau", "Stahl- und Hallenbau"),
    "Automobilzulieferer": ("Präzisionsteile", "Drehteile", "Umformtechnik"),
    "Anlagenbau": ("Anlagenbau", "Fördertechnik", "Apparatebau"),
    "Werkzeugbau": ("Werkzeugbau", "Formenbau", "Zerspanungstechnik"),
    "Elektrotechnik": ("Elektrotechnik", "Schaltanlagenbau"),
    "Landtechnik": ("Landtechnik", "Landmaschinen"),
    "Fahrzeugbau": ("Fahrzeugbau", "Karosseriebau", "Anhängerbau"),
    "Schlosserei": ("Schlosserei", "Metallwerkstätten"),
    "Kunststofftechnik": ("Kunststofftechnik", "Kunststoffverarbeitung"),
    "Instandhaltung": ("Industrieservice", "Instandhaltung"),
}
ENGLISH_WORDS = (
    "Engineering",
    "Precision",
    "Fabrication",
    "Machining",
    "Components",
    "Toolmakers",
    "Manufacturing",
)
GERMAN_FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "GmbH & Co. KG", "KG", "AG")

TITLES_DE = (
    "Einkaufsleiter",
    "Einkäufer",
    "Leiterin Einkauf",
    "Technischer Einkauf",
    "Geschäftsführer",
    "Betriebsleiter",
    "Werkstattmeister",
    "Leiter Instandhaltung",
    "Disponentin",
)
TITLES_EN = (
    "Purchasing Manager",
    "Buyer",
    "Procurement Lead",
    "Operations Manager",
    "Managing Director",
    "Workshop Supervisor",
    "Maintenance Manager",
)
GERMAN_FEMININE = {
    "Einkaufsleiter": "Einkaufsleiterin",
    "Einkäufer": "Einkäuferin",
    "Geschäftsführer": "Geschäftsführerin",
    "Betriebsleiter": "Betriebsleiterin",
    "Werkstattmeister": "Werkstattmeisterin",
    "Leiter Instandhaltung": "Leiterin Instandhaltung",
}
GERMAN_MASCULINE = {"Leiterin Einkauf": "Leiter Einkauf", "Disponentin": "Disponent"}
#: Fictitious German numbers (Bundesnetzagentur, reserved for film and TV).
DE_PHONE_PREFIXES = ("+49 30 23125 ", "+49 69 90009 ", "+49 40 66969 ", "+49 221 4710 ")
#: Ofcom drama numbers by city (the last three digits are free).
UK_PHONE_PREFIXES = {
    "Birmingham": "+44 121 496 0",
    "Sheffield": "+44 114 496 0",
    "Coventry": "+44 1632 960 ",
    "Leeds": "+44 113 496 0",
    "Manchester": "+44 161 496 0",
    "Derby": "+44 1632 960 ",
    "Bristol": "+44 117 496 0",
}


@dataclass(frozen=True)
class Place:
    """Where an account sits and which language it is served in."""

    city: str
    country: str
    language: str
    #: US area code, used for the fictitious 555-01xx numbers.
    area: str = ""


def ascii_slug(text: str) -> str:
    """Turn a German or English name into lower-case ASCII for domains and logins."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def pick_place(rng: random.Random, english: bool) -> Place:
    """Choose a city; English-speaking accounts are in the UK, Ireland or the US."""
    if not english:
        return Place(rng.choice(GERMAN_CITIES), "Deutschland", "de")
    roll = rng.random()
    if roll < 0.55:
        return Place(rng.choice(UK_CITIES), "United Kingdom", "en")
    if roll < 0.75:
        return Place(rng.choice(IE_CITIES), "Ireland", "en")
    city, area = rng.choice(US_CITIES)
    return Place(city, "United States", "en", area)


def company_name(rng: random.Random, industry: str, place: Place) -> str:
    """Invent a plausible company name for ``industry`` at ``place`` (may repeat)."""
    if place.language == "en":
        surname = rng.choice(ENGLISH_SURNAMES)
        word = rng.choice(ENGLISH_WORDS)
        form = "Inc." if place.country == "United States" else "Ltd"
        if rng.random() < 0.3:
            return f"{surname} & {rng.choice(ENGLISH_SURNAMES)} {word} {form}"
        if rng.random() < 0.3:
            return f"{place.city} {word} {form}"
        return f"{surname} {word} {form}"
    word = rng.choice(INDUSTRY_WORDS[industry])
    form = rng.choice(GERMAN_FORMS)
    roll = rng.random()
    if roll < 0.45:
        return f"{rng.choice(GERMAN_SURNAMES)} {word} {form}"
    if roll < 0.65:
        first, second = rng.sample(GERMAN_SURNAMES, 2)
        return f"{first} & {second} {form}"
    if roll < 0.85:
        return f"{rng.choice(REGIONS)}-{word} {form}"
    initials = "".join(rng.choice("ABDEHKLMRSTW") for _ in range(rng.choice((2, 3))))
    return f"{initials} {word} {form}"


def company_domain(name: str) -> str:
    """Return the company's fictitious mail domain, e.g. ``mueller-metallbau.example``."""
    core = re.sub(r"\b(gmbh|co|kg|ag|ltd|inc)\b\.?", " ", name.lower().replace("&", " "))
    slug = ascii_slug(core)
    return f"{slug[:40].strip('-')}.example"


def person_name(rng: random.Random, language: str) -> tuple[str, str, str]:
    """Return (first name, surname, salutation) of an invented person."""
    if language == "en":
        first = rng.choice(ENGLISH_FIRST)
        female = first in {"Sarah", "Emma", "Claire", "Helen", "Laura", "Rachel", "Karen"} or (
            first in {"Susan", "Siobhan", "Aoife", "Megan", "Jennifer"}
        )
        return first, rng.choice(ENGLISH_SURNAMES), "Ms" if female else "Mr"
    if rng.random() < 0.35:
        return rng.choice(GERMAN_FIRST_FEMALE), rng.choice(GERMAN_SURNAMES), "Frau"
    return rng.choice(GERMAN_FIRST_MALE), rng.choice(GERMAN_SURNAMES), "Herr"


def contact_title(rng: random.Random, language: str, primary: bool, female: bool = False) -> str:
    """Return a job title (German titles in the person's gender); buyers come first."""
    titles = TITLES_EN if language == "en" else TITLES_DE
    if primary and rng.random() < 0.7:
        title = titles[0] if rng.random() < 0.6 else titles[1]
    else:
        title = rng.choice(titles)
    if language == "en":
        return title
    return GERMAN_FEMININE.get(title, title) if female else GERMAN_MASCULINE.get(title, title)


def email_for(first: str, surname: str, domain: str) -> str:
    """Return ``f.surname@domain`` in ASCII."""
    return f"{ascii_slug(first)[0]}.{ascii_slug(surname)}@{domain}"


def phone_for(rng: random.Random, place: Place) -> str | None:
    """Return a number from a range reserved for fiction, or ``None`` in Ireland."""
    if place.country == "Deutschland":
        return f"{rng.choice(DE_PHONE_PREFIXES)}{rng.randrange(1000):03d}"
    if place.country == "United Kingdom":
        return f"{UK_PHONE_PREFIXES[place.city]}{rng.randrange(1000):03d}"
    if place.country == "United States":
        return f"+1 {place.area} 555-01{rng.randrange(100):02d}"
    return None
