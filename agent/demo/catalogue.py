"""The demo supplier's product catalogue: ~40 SKUs of industrial consumables.

Prices are list prices in EUR per unit (a unit is what the description says:
a box, a piece, a can). They stay stable for the whole history except for one
general price increase on :data:`PRICE_INCREASE_DATE`, which the ``price_terms``
churn scenario refers to. The increase differs per product group, as it does
in real price lists (steel and carbide rose more than safety gear).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

#: The day the general price increase took effect (announced by letter in January).
PRICE_INCREASE_DATE = date(2025, 3, 1)
#: The day the customers were told about it.
PRICE_INCREASE_ANNOUNCED = date(2025, 1, 15)

#: Price increase per product group, in percent.
INCREASE_PERCENT: dict[str, int] = {
    "fasteners": 9,
    "cutting": 12,
    "abrasives": 8,
    "lubricants": 7,
    "safety": 5,
}


@dataclass(frozen=True)
class Product:
    """One catalogue item with its list price before the price increase."""

    sku: str
    description: str
    group: str
    unit_price: Decimal
    #: Typical order quantity step (packs are sold in these multiples).
    pack: int

    def price_on(self, day: date) -> Decimal:
        """Return the list price in effect on ``day`` (after the increase if it applies)."""
        if day < PRICE_INCREASE_DATE:
            return self.unit_price
        factor = Decimal(100 + INCREASE_PERCENT[self.group]) / Decimal(100)
        return (self.unit_price * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _p(sku: str, description: str, group: str, price: str, pack: int) -> Product:
    return Product(sku, description, group, Decimal(price), pack)


PRODUCTS: tuple[Product, ...] = (
    # Verbindungselemente (prices per box of 100 / 200 / 500 pieces)
    _p("VB-1001", "Sechskantschraube DIN 933 M8x30 verzinkt, 200 Stk.", "fasteners", "18.40", 5),
    _p("VB-1002", "Sechskantschraube DIN 933 M10x40 8.8, 100 Stk.", "fasteners", "21.90", 5),
    _p("VB-1003", "Zylinderschraube DIN 912 M6x20 A2, 200 Stk.", "fasteners", "24.60", 5),
    _p("VB-1004", "Sechskantmutter DIN 934 M8 verzinkt, 500 Stk.", "fasteners", "14.20", 5),
    _p("VB-1005", "Unterlegscheibe DIN 125 A8,4 A2, 500 Stk.", "fasteners", "11.80", 5),
    _p("VB-1006", "Gewindestange DIN 976 M12x1000 verzinkt", "fasteners", "3.95", 20),
    _p("VB-1007", "Blindniet Alu/Stahl 4,0x10, 500 Stk.", "fasteners", "16.50", 5),
    _p("VB-1008", "Schwerlastanker M10x90 galv. verzinkt, 50 Stk.", "fasteners", "42.80", 2),
    _p("VB-1009", "Senkschraube DIN 7991 M5x16 A2, 200 Stk.", "fasteners", "19.70", 5),
    # Zerspanungswerkzeuge
    _p("ZW-2001", "HSS-Spiralbohrer DIN 338 8,0 mm, 10 Stk.", "cutting", "27.50", 2),
    _p("ZW-2002", "VHM-Bohrer 6,8 mm TiAlN beschichtet", "cutting", "48.90", 5),
    _p("ZW-2003", "VHM-Schaftfräser 10 mm 4-Schneider", "cutting", "64.20", 5),
    _p("ZW-2004", "Wendeschneidplatte CNMG 120408, 10 Stk.", "cutting", "89.00", 2),
    _p("ZW-2005", "Maschinengewindebohrer M8 HSS-E", "cutting", "18.60", 10),
    _p("ZW-2006", "Kernbohrer HSS 22x50 mm", "cutting", "36.40", 5),
    _p("ZW-2007", "Bimetall-Sägeband 2750x27x0,9 mm", "cutting", "54.80", 2),
    _p("ZW-2008", "Stufenbohrer 4–20 mm HSS", "cutting", "31.20", 2),
    _p("ZW-2009", "Wendeschneidplatte WNMG 080408, 10 Stk.", "cutting", "94.50", 2),
    # Schleifmittel
    _p("SM-3001", "Trennscheibe 125x1,0 mm Inox, 25 Stk.", "abrasives", "29.90", 4),
    _p("SM-3002", "Fächerschleifscheibe 125 mm K80, 10 Stk.", "abrasives", "38.50", 4),
    _p("SM-3003", "Schleifband 75x2000 mm K120, 10 Stk.", "abrasives", "33.70", 4),
    _p("SM-3004", "Schruppscheibe 178x7,0 mm Stahl, 10 Stk.", "abrasives", "41.20", 2),
    _p("SM-3005", "Vlies-Schleifrolle 100 mm x 10 m fein", "abrasives", "22.40", 5),
    _p("SM-3006", "Klettschleifscheibe 150 mm K240, 100 Stk.", "abrasives", "26.80", 4),
    _p("SM-3007", "Trennscheibe 230x1,9 mm Stahl, 25 Stk.", "abrasives", "47.60", 2),
    _p("SM-3008", "Polierfilz 115 mm mit Polierpaste, Set", "abrasives", "19.90", 5),
    # Schmierstoffe und Chemie
    _p("SC-4001", "Kühlschmierstoff wassermischbar, 20 l", "lubricants", "118.00", 1),
    _p("SC-4002", "Schneidöl für Gewindeschneiden, 5 l", "lubricants", "46.50", 2),
    _p("SC-4003", "Mehrzweckfett Lithium NLGI 2, 400 g Kartusche", "lubricants", "6.90", 12),
    _p("SC-4004", "Hydrauliköl HLP 46, 20 l", "lubricants", "84.00", 1),
    _p("SC-4005", "Kriechöl/Multifunktionsspray, 400 ml", "lubricants", "5.80", 12),
    _p("SC-4006", "Industriereiniger Konzentrat, 10 l", "lubricants", "39.60", 2),
    _p("SC-4007", "Schraubensicherung mittelfest, 50 ml", "lubricants", "14.30", 10),
    # Arbeitsschutz
    _p("AS-5001", "Schnittschutzhandschuh Stufe C, Gr. 9, 12 Paar", "safety", "58.80", 2),
    _p("AS-5002", "Nitril-Einweghandschuhe puderfrei, 100 Stk.", "safety", "9.40", 10),
    _p("AS-5003", "Schutzbrille klar, EN 166, 10 Stk.", "safety", "42.00", 2),
    _p("AS-5004", "Gehörschutzstöpsel, 200 Paar", "safety", "36.50", 2),
    _p("AS-5005", "Atemschutzmaske FFP2 mit Ventil, 10 Stk.", "safety", "24.90", 5),
    _p("AS-5006", "Sicherheitsschuh S3 Halbschuh", "safety", "74.90", 4),
    _p("AS-5007", "Warnweste EN ISO 20471 gelb, 10 Stk.", "safety", "29.50", 2),
)

PRODUCTS_BY_SKU: dict[str, Product] = {p.sku: p for p in PRODUCTS}

#: Which product groups each industry mostly buys (first group = main need).
INDUSTRY_GROUPS: dict[str, tuple[str, ...]] = {
    "Maschinenbau": ("cutting", "fasteners", "lubricants", "abrasives", "safety"),
    "Metallbau": ("abrasives", "fasteners", "safety", "cutting"),
    "Stahlbau": ("fasteners", "abrasives", "safety", "cutting"),
    "Automobilzulieferer": ("cutting", "lubricants", "fasteners", "safety"),
    "Anlagenbau": ("fasteners", "cutting", "safety", "lubricants"),
    "Werkzeugbau": ("cutting", "abrasives", "lubricants"),
    "Elektrotechnik": ("fasteners", "safety", "cutting"),
    "Landtechnik": ("fasteners", "lubricants", "abrasives", "safety"),
    "Fahrzeugbau": ("fasteners", "abrasives", "lubricants", "safety"),
    "Schlosserei": ("abrasives", "fasteners", "cutting", "safety"),
    "Kunststofftechnik": ("cutting", "safety", "lubricants"),
    "Instandhaltung": ("lubricants", "fasteners", "safety", "abrasives"),
}


def products_in(group: str) -> list[Product]:
    """Return the catalogue items of one product group, in catalogue order."""
    return [p for p in PRODUCTS if p.group == group]
