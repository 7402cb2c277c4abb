"""Charts of accounts the sandbox seeds: Belgian (PCMN/MAR), Dutch (Exact's NL template) and
French (PCG), each with the roles the entry generator books against."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["CHARTS", "Chart"]

# (code, description, BalanceType B/W, BalanceSide D/C, Type)
Row = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class Chart:
    name: str
    accounts: tuple[Row, ...]
    receivable: str
    payable: str
    vat_out: str
    vat_in: str
    bank: str
    cash: str
    revenue: tuple[str, ...]
    expense: tuple[str, ...]
    fx_result: str
    vat_rate: Decimal
    vat_code: str  # padded to Exact's char(3)
    journals: dict[str, tuple[str, str]]  # role -> (JournalCode, JournalDescription)
    customers: tuple[str, ...]
    suppliers: tuple[str, ...]
    country: str
    template: str


BELGIAN = Chart(
    name="BE",
    accounts=(
        ("100000", "Geplaatst kapitaal", "B", "C", 50),
        ("130000", "Wettelijke reserve", "B", "C", 52),
        ("140000", "Overgedragen winst", "B", "C", 52),
        ("221000", "Gebouwen", "B", "D", 30),
        ("241000", "Kantoormeubilair", "B", "D", 30),
        ("241009", "Afschrijvingen kantoormeubilair", "B", "C", 35),
        ("400000", "Handelsdebiteuren", "B", "D", 20),
        ("411000", "Terug te vorderen btw", "B", "D", 24),
        ("440000", "Leveranciers", "B", "C", 22),
        ("451000", "Te betalen btw", "B", "C", 24),
        ("453000", "Ingehouden bedrijfsvoorheffing", "B", "C", 100),
        ("550000", "KBC Bank", "B", "D", 12),
        ("550100", "Belfius USD-rekening", "B", "D", 12),
        ("570000", "Kas", "B", "D", 10),
        ("600000", "Aankopen grondstoffen", "W", "D", 111),
        ("604000", "Aankopen handelsgoederen", "W", "D", 111),
        ("610000", "Huur gebouwen", "W", "D", 120),
        ("612000", "Energie", "W", "D", 120),
        ("613000", "Erelonen accountant", "W", "D", 121),
        ("620200", "Bezoldigingen bedienden", "W", "D", 125),
        ("630200", "Afschrijvingen materiële vaste activa", "W", "D", 122),
        ("657000", "Bankkosten", "W", "D", 120),
        ("700000", "Omzet verkopen", "W", "C", 110),
        ("705000", "Omzet diensten", "W", "C", 110),
        ("754000", "Wisselkoersverschillen", "W", "C", 160),
        ("999999", "Geblokkeerde rekening (oud)", "W", "D", 90),
    ),
    receivable="400000",
    payable="440000",
    vat_out="451000",
    vat_in="411000",
    bank="550000",
    cash="570000",
    revenue=("700000", "705000"),
    expense=("600000", "604000", "610000", "612000", "613000", "657000"),
    fx_result="754000",
    vat_rate=Decimal("0.21"),
    vat_code="21 ",
    journals={
        "sales": ("700", "Verkoopdagboek"),
        "purchase": ("600", "Aankoopdagboek"),
        "bank": ("550", "KBC Bank"),
        "general": ("900", "Diverse verrichtingen"),
    },
    customers=("Brouwerij De Klok", "Garage Maes", "Apotheek Claes", "Frituur 't Hoekske"),
    suppliers=("Electrabel", "Proximus", "Makro Antwerpen", "Accountantskantoor Janssens"),
    country="BE ",
    template="BE_Base",
)

DUTCH = Chart(
    name="NL",
    accounts=(
        ("0100", "Bedrijfspanden", "B", "D", 30),
        ("0110", "Afschrijving bedrijfspanden", "B", "C", 35),
        ("0500", "Eigen vermogen", "B", "C", 50),
        ("0600", "Winstreserve", "B", "C", 52),
        ("1000", "Kas", "B", "D", 10),
        ("1100", "ING Bank", "B", "D", 12),
        ("1300", "Debiteuren", "B", "D", 20),
        ("1500", "Te betalen btw hoog", "B", "C", 24),
        ("1520", "Voorbelasting", "B", "D", 24),
        ("1600", "Crediteuren", "B", "C", 22),
        ("4000", "Lonen en salarissen", "W", "D", 125),
        ("4300", "Huisvestingskosten", "W", "D", 120),
        ("4500", "Kantoorkosten", "W", "D", 121),
        ("4600", "Autokosten", "W", "D", 120),
        ("4800", "Afschrijvingen", "W", "D", 122),
        ("7000", "Inkoopwaarde van de omzet", "W", "D", 111),
        ("8000", "Omzet hoog", "W", "C", 110),
        ("8100", "Omzet export", "W", "C", 110),
        ("8900", "Koersverschillen", "W", "C", 160),
    ),
    receivable="1300",
    payable="1600",
    vat_out="1500",
    vat_in="1520",
    bank="1100",
    cash="1000",
    revenue=("8000", "8100"),
    expense=("4300", "4500", "4600", "7000"),
    fx_result="8900",
    vat_rate=Decimal("0.21"),
    vat_code="2  ",
    journals={
        "sales": ("70", "Verkoopboek"),
        "purchase": ("60", "Inkoopboek"),
        "bank": ("20", "ING Bank"),
        "general": ("90", "Memoriaal"),
    },
    customers=("Bouwbedrijf Jansen", "Bakkerij de Vries", "Gemeente Utrecht", "Zorggroep Oost"),
    suppliers=("Technische Unie", "Eneco", "KPN", "Wasco Groothandel"),
    country="NL ",
    template="NL_Base",
)

FRENCH = Chart(
    name="FR",
    accounts=(
        ("101000", "Capital", "B", "C", 50),
        ("106100", "Réserve légale", "B", "C", 52),
        ("215400", "Matériel industriel", "B", "D", 30),
        ("281540", "Amortissement matériel industriel", "B", "C", 35),
        ("401000", "Fournisseurs", "B", "C", 22),
        ("411000", "Clients", "B", "D", 20),
        ("445660", "TVA déductible sur ABS", "B", "D", 24),
        ("445710", "TVA collectée", "B", "C", 24),
        ("512000", "Banque", "B", "D", 12),
        ("530000", "Caisse", "B", "D", 10),
        ("607000", "Achats de marchandises", "W", "D", 111),
        ("613200", "Locations immobilières", "W", "D", 120),
        ("626000", "Frais postaux et télécommunications", "W", "D", 121),
        ("641000", "Rémunérations du personnel", "W", "D", 125),
        ("681120", "Dotations aux amortissements", "W", "D", 122),
        ("706000", "Prestations de services", "W", "C", 110),
        ("707000", "Ventes de marchandises", "W", "C", 110),
        ("766000", "Gains de change", "W", "C", 160),
    ),
    receivable="411000",
    payable="401000",
    vat_out="445710",
    vat_in="445660",
    bank="512000",
    cash="530000",
    revenue=("706000", "707000"),
    expense=("607000", "613200", "626000"),
    fx_result="766000",
    vat_rate=Decimal("0.20"),
    vat_code="VB ",
    journals={
        "sales": ("70", "Journal des ventes"),
        "purchase": ("60", "Journal des achats"),
        "bank": ("50", "Banque"),
        "general": ("90", "Opérations diverses"),
    },
    customers=("Boulangerie Martin", "Garage Dubois", "Pharmacie Bernard"),
    suppliers=("EDF", "Orange", "Metro Cash & Carry"),
    country="FR ",
    template="FR_Base_CA3",
)

CHARTS = {"BE": BELGIAN, "NL": DUTCH, "FR": FRENCH}
