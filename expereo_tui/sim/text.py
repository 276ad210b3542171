"""Words the simulator's data is made of: real cities, company and people names, and case
messages that read like NOC traffic.  Also the hostile strings every client must render
literally (markup, ANSI escapes, RTL, emoji, very long lines)."""

from __future__ import annotations

import random
from typing import Any

CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("Amsterdam", "Netherlands", 52.37, 4.90),
    ("Rotterdam", "Netherlands", 51.92, 4.48),
    ("London", "United Kingdom", 51.51, -0.13),
    ("Manchester", "United Kingdom", 53.48, -2.24),
    ("Frankfurt", "Germany", 50.11, 8.68),
    ("Munich", "Germany", 48.14, 11.58),
    ("Hamburg", "Germany", 53.55, 9.99),
    ("Paris", "France", 48.86, 2.35),
    ("Lyon", "France", 45.76, 4.84),
    ("Madrid", "Spain", 40.42, -3.70),
    ("Barcelona", "Spain", 41.39, 2.17),
    ("Milan", "Italy", 45.46, 9.19),
    ("Rome", "Italy", 41.90, 12.50),
    ("Zurich", "Switzerland", 47.37, 8.54),
    ("Vienna", "Austria", 48.21, 16.37),
    ("Warsaw", "Poland", 52.23, 21.01),
    ("Prague", "Czechia", 50.08, 14.44),
    ("Stockholm", "Sweden", 59.33, 18.07),
    ("Oslo", "Norway", 59.91, 10.75),
    ("Copenhagen", "Denmark", 55.68, 12.57),
    ("Helsinki", "Finland", 60.17, 24.94),
    ("Dublin", "Ireland", 53.35, -6.26),
    ("Lisbon", "Portugal", 38.72, -9.14),
    ("Brussels", "Belgium", 50.85, 4.35),
    ("Istanbul", "Türkiye", 41.01, 28.98),
    ("Dubai", "United Arab Emirates", 25.20, 55.27),
    ("Riyadh", "Saudi Arabia", 24.71, 46.68),
    ("Tel Aviv", "Israel", 32.09, 34.78),
    ("Cairo", "Egypt", 30.04, 31.24),
    ("Johannesburg", "South Africa", -26.20, 28.05),
    ("Lagos", "Nigeria", 6.52, 3.38),
    ("Nairobi", "Kenya", -1.29, 36.82),
    ("Casablanca", "Morocco", 33.57, -7.59),
    ("Mumbai", "India", 19.08, 72.88),
    ("Bengaluru", "India", 12.97, 77.59),
    ("Singapore", "Singapore", 1.35, 103.82),
    ("Kuala Lumpur", "Malaysia", 3.14, 101.69),
    ("Jakarta", "Indonesia", -6.21, 106.85),
    ("Bangkok", "Thailand", 13.76, 100.50),
    ("Ho Chi Minh City", "Vietnam", 10.82, 106.63),
    ("Manila", "Philippines", 14.60, 120.98),
    ("Hong Kong", "Hong Kong", 22.32, 114.17),
    ("Shanghai", "China", 31.23, 121.47),
    ("Shenzhen", "China", 22.54, 114.06),
    ("Seoul", "South Korea", 37.57, 126.98),
    ("Tokyo", "Japan", 35.68, 139.69),
    ("Osaka", "Japan", 34.69, 135.50),
    ("Sydney", "Australia", -33.87, 151.21),
    ("Melbourne", "Australia", -37.81, 144.96),
    ("Auckland", "New Zealand", -36.85, 174.76),
    ("New York", "United States", 40.71, -74.01),
    ("Chicago", "United States", 41.88, -87.63),
    ("Dallas", "United States", 32.78, -96.80),
    ("Ashburn", "United States", 39.04, -77.49),
    ("San Jose", "United States", 37.34, -121.89),
    ("Seattle", "United States", 47.61, -122.33),
    ("Atlanta", "United States", 33.75, -84.39),
    ("Toronto", "Canada", 43.65, -79.38),
    ("Montreal", "Canada", 45.50, -73.57),
    ("Mexico City", "Mexico", 19.43, -99.13),
    ("Monterrey", "Mexico", 25.69, -100.32),
    ("São Paulo", "Brazil", -23.55, -46.63),
    ("Rio de Janeiro", "Brazil", -22.91, -43.17),
    ("Buenos Aires", "Argentina", -34.60, -58.38),
    ("Santiago", "Chile", -33.45, -70.67),
    ("Bogotá", "Colombia", 4.71, -74.07),
    ("Lima", "Peru", -12.05, -77.04),
    ("Panama City", "Panama", 8.98, -79.52),
)

COMPANY_NAMES = [
    "Northwind Logistics",
    "Helvetia Foods",
    "Orbis Retail Group",
    "Kestrel Pharma",
    "Blue Harbour Shipping",
    "Atlas Automotive",
    "Meridian Hotels",
    "Polaris Energy",
    "Granite Bank",
    "Sundial Apparel",
    "Vantage Semiconductors",
    "Cobalt Mining",
]

#: streets as each country names them, so a site's address reads as its city's (#32: the demo
#: world had "Avenida Paulista" in Oslo); a country missing here takes the generic ones below
LOCAL_STREETS: dict[str, tuple[str, ...]] = {
    "Netherlands": ("Herengracht", "Keizersgracht", "Industrieweg", "Stationsplein"),
    "United Kingdom": ("High Street", "Station Road", "Church Lane", "Victoria Street"),
    "Germany": ("Kaiserstrasse", "Hauptstrasse", "Bahnhofstrasse", "Industriestrasse"),
    "France": ("Rue de Rivoli", "Avenue de la République", "Rue du Commerce", "Quai Voltaire"),
    "Spain": ("Calle de Alcalá", "Gran Vía", "Calle Mayor", "Paseo de Gracia"),
    "Italy": ("Via Torino", "Corso Italia", "Via Roma", "Via Garibaldi"),
    "Switzerland": ("Bahnhofstrasse", "Seestrasse", "Limmatquai", "Industriestrasse"),
    "Austria": ("Mariahilfer Strasse", "Ringstrasse", "Hauptstrasse", "Landstrasse"),
    "Poland": ("ulica Marszałkowska", "ulica Prosta", "Aleje Jerozolimskie", "ulica Grzybowska"),
    "Czechia": ("Václavské náměstí", "Národní", "Na Příkopě", "Vinohradská"),
    "Sweden": ("Drottninggatan", "Kungsgatan", "Sveavägen", "Hamngatan"),
    "Norway": ("Karl Johans gate", "Storgata", "Dronning Eufemias gate", "Kirkegata"),
    "Denmark": ("Strøget", "Vesterbrogade", "Nørregade", "Amagerbrogade"),
    "Finland": ("Mannerheimintie", "Aleksanterinkatu", "Hämeentie", "Bulevardi"),
    "Ireland": ("O'Connell Street", "Grafton Street", "Harcourt Street", "Baggot Street"),
    "Portugal": ("Avenida da Liberdade", "Rua Augusta", "Rua do Ouro", "Avenida da República"),
    "Belgium": ("Rue de la Loi", "Avenue Louise", "Boulevard Anspach", "Rue Neuve"),
    "Türkiye": ("İstiklal Caddesi", "Büyükdere Caddesi", "Bağdat Caddesi", "Barbaros Bulvarı"),
    "United Arab Emirates": ("Sheikh Zayed Road", "Al Wasl Road", "Jumeirah Road", "Al Khail Road"),
    "Saudi Arabia": ("King Fahd Road", "Olaya Street", "Tahlia Street", "King Abdullah Road"),
    "Israel": ("Rothschild Boulevard", "Dizengoff Street", "HaYarkon Street", "Ibn Gabirol Street"),
    "Egypt": ("Corniche El Nil", "Tahrir Street", "26th of July Street", "Ramses Street"),
    "South Africa": ("Rivonia Road", "Jan Smuts Avenue", "Commissioner Street", "Oxford Road"),
    "Nigeria": ("Adeola Odeku Street", "Awolowo Road", "Broad Street", "Ozumba Mbadiwe Avenue"),
    "Kenya": ("Kenyatta Avenue", "Moi Avenue", "Waiyaki Way", "Ngong Road"),
    "Morocco": ("Boulevard Mohammed V", "Boulevard d'Anfa", "Rue Allal Ben Abdellah", "Boulevard Zerktouni"),
    "India": ("MG Road", "Linking Road", "Residency Road", "Brigade Road"),
    "Singapore": ("Orchard Road", "Robinson Road", "Cecil Street", "Tanjong Pagar Road"),
    "Malaysia": ("Jalan Ampang", "Jalan Bukit Bintang", "Jalan Sultan Ismail", "Jalan Tun Razak"),
    "Indonesia": ("Jalan Sudirman", "Jalan Thamrin", "Jalan Gatot Subroto", "Jalan Rasuna Said"),
    "Thailand": ("Sukhumvit Road", "Silom Road", "Rama IV Road", "Ploenchit Road"),
    "Vietnam": ("Đồng Khởi", "Nguyễn Huệ", "Lê Lợi", "Hai Bà Trưng"),
    "Philippines": ("Ayala Avenue", "Roxas Boulevard", "EDSA", "Paseo de Roxas"),
    "Hong Kong": ("Harbour Road", "Queen's Road Central", "Nathan Road", "Des Voeux Road"),
    "China": ("Nanjing Road", "Century Avenue", "Shennan Boulevard", "Huaihai Road"),
    "South Korea": ("Teheran-ro", "Sejong-daero", "Gangnam-daero", "Eulji-ro"),
    "Japan": ("Chuo-dori", "Omotesando", "Midosuji", "Meiji-dori"),
    "Australia": ("Collins Street", "George Street", "Pitt Street", "Bourke Street"),
    "New Zealand": ("Queen Street", "Ponsonby Road", "Karangahape Road", "Customs Street"),
    "United States": ("Market Street", "Main Street", "Technology Drive", "Broadway"),
    "Canada": ("King Street West", "Yonge Street", "Rue Sainte-Catherine", "Bay Street"),
    "Mexico": ("Paseo de la Reforma", "Avenida Insurgentes", "Avenida Constitución", "Calle Madero"),
    "Brazil": ("Avenida Paulista", "Rua Augusta", "Avenida Atlântica", "Rua da Consolação"),
    "Argentina": ("Avenida Corrientes", "Avenida de Mayo", "Calle Florida", "Avenida Santa Fe"),
    "Chile": ("Avenida Apoquindo", "Avenida Providencia", "Calle Huérfanos", "Avenida Vitacura"),
    "Colombia": ("Carrera Séptima", "Avenida Jiménez", "Calle 93", "Carrera 15"),
    "Peru": ("Avenida Larco", "Jirón de la Unión", "Avenida Javier Prado", "Avenida Arequipa"),
    "Panama": ("Avenida Balboa", "Calle 50", "Vía España", "Avenida Samuel Lewis"),
}

STREETS = [
    "Herengracht",
    "Kaiserstrasse",
    "Rue de Rivoli",
    "High Street",
    "Market Street",
    "Avenida Paulista",
    "Orchard Road",
    "Via Torino",
    "Calle de Alcalá",
    "King Street West",
    "Sheikh Zayed Road",
    "Collins Street",
    "Industrieweg",
    "Harbour Road",
    "Technology Drive",
]

CUSTOMER_NAMES = [
    "Priya Nair (NOC)",
    "Tom Becker",
    "Aisha Rahman",
    "Lukas Novak",
    "Sofia Marques",
    "NOC Shift Lead",
    "Daniel Okafor",
    "Mei Tanaka",
    "Jonas Lindqvist",
    "Carla Rossi",
    "monitoring@customer-noc",
    "Hannah Schmidt",
]
PROVIDER_NAMES = [
    "Expereo Service Desk",
    "Ravi Kumar (Expereo NOC)",
    "Elena Petrova (Expereo)",
    "Marco de Vries (Field Ops)",
    "Expereo Major Incident Team",
    "Nadia Haddad (Expereo)",
    "Expereo Provisioning",
]

HOSTILE_TEXTS = [
    "[bold red]URGENT[/bold red] [link=http://evil.example]click[/link] [/] [[nested]]",
    "\x1b[31mred via ANSI\x1b[0m \x1b]0;pwned title\x07 \x1b[2J cleared?",
    "Right-to-left: \u202eevil.exe\u202c — שלום עולם — مرحبا بالعالم",
    "Emoji storm 🔥🔥🚨📡🛰️👩‍💻 and combining e\u0301\u0301\u0301 z\u0337\u0337",
    "A very long line without spaces: " + "x" * 600,
    "Control chars:\x00\x07\x08\x0b\x0c end",
]

_CUSTOMER_OPENERS: dict[str, list[str]] = {
    "ServiceDown": [
        "Our {service} ({service_id}) in {city} is hard down since {t}. Interface shows no light, "
        "router logs LOS on the WAN port. Site is running on backup 4G. Please investigate urgently.",
        "Total outage on {service_id} at {city}. BGP session dropped at {t} and does not come back. "
        "We power-cycled the CPE, no change.",
    ],
    "ServiceDegradation": [
        "Since {t} we see packet loss of 3-8% and latency up to 240 ms on {service_id} ({city}). "
        "MTR attached below. Users complain about Teams and SAP.",
        "Throughput on {service} is capped around 30% of contracted bandwidth since this morning.",
    ],
    "ServiceIntermittent": [
        "{service_id} in {city} flaps every 10-20 minutes since {t}, each drop lasts ~40 s. "
        "Syslog shows the interface going down/up.",
        "Intermittent drops on {service}. Our monitoring shows 14 short outages in the last 6 hours.",
    ],
    "RfoRequest": [
        "Please provide a Reason For Outage for the interruption on {service_id} ({city}) "
        "yesterday between 02:10 and 03:45 UTC.",
    ],
    "ActivationSupport": [
        "Engineer is on site in {city} for the activation of {service_id}. Please join the bridge "
        "and confirm the handover details.",
    ],
    "ChangeRequest": [
        "Please change the LAN subnet announced on {service_id} to 10.{n}.0.0/24 and add a second "
        "static route. Change window Saturday 22:00-02:00 local.",
    ],
    "EngineerDispatch": [
        "We need a field engineer at {city} to replace the CPE on {service_id}; the power supply "
        "failed. Site access 08:00-17:00, ask for reception.",
    ],
    "InformationRequest": [
        "Could you share the current IP allocation and the technical contact for {service_id}?",
    ],
    "Other": ["General question about {service} in {city}: who manages the building riser?"],
    "SoftwareUpdate": [
        "Please schedule the firmware upgrade of the SD-WAN edge on {service_id} outside business "
        "hours in {city}.",
    ],
    "UtilizationReport": [
        "Please send the utilisation report for {service_id} for last month (95th percentile).",
    ],
}

_CUSTOMER_FOLLOWUPS = [
    "Any update? The site is still impacted.",
    "Local contact confirms the CPE has power and the WAN LED is amber.",
    "Attached a new traceroute, loss starts at the second hop.",
    "We can give access to the comms room between 09:00 and 16:00 local time.",
    "Confirmed, service is stable on our side since the last change. Thanks.",
    "Our reference for this is {ref}. Please quote it in updates.",
    "Escalating internally — this is affecting the {city} warehouse operations.",
    "Still seeing errors on the interface: CRC count rising.",
]
_PROVIDER_REPLIES = [
    "Thank you for contacting Expereo. We have opened a ticket with the local carrier and will "
    "update you within 60 minutes.",
    "Our NOC sees the circuit down from the carrier side. The carrier has dispatched a "
    "technician, ETA 4 hours.",
    "We have run line tests: a fault was found in the local loop. Repair is in progress.",
    "The carrier reports a fibre cut near {city}. Splicing crews are on site; next update in 2h.",
    "Please can you confirm the CPE is powered and share a photo of the LEDs?",
    "Service was restored at {t}. Root cause: faulty line card at the carrier PoP. Please "
    "confirm the service is stable so we can resolve the case.",
    "We have scheduled the change for the requested window. Reference CHG{n}.",
    "Engineer visit booked for tomorrow 09:00-13:00 local time.",
    "The RFO has been requested from the carrier and will be shared within 5 business days.",
    "We are monitoring the service; no further drops in the last 4 hours.",
]


def _fill(template: str, rng: random.Random, ctx: dict[str, Any]) -> str:
    return template.format(
        service=ctx["service"],
        service_id=ctx["service_id"],
        city=ctx["city"],
        t=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} UTC",
        n=rng.randint(10, 250),
        ref=f"INC{rng.randint(100000, 999999)}",
    )


def customer_message(rng: random.Random, subject: str, ctx: dict[str, Any], index: int) -> str:
    """What a customer engineer writes: the opening description, then follow-ups."""
    if index == 0:
        return _fill(
            rng.choice(_CUSTOMER_OPENERS.get(subject, _CUSTOMER_OPENERS["Other"])), rng, ctx
        )
    return _fill(rng.choice(_CUSTOMER_FOLLOWUPS), rng, ctx)


def provider_message(rng: random.Random, subject: str, ctx: dict[str, Any], index: int) -> str:
    """What the provider's service desk answers."""
    return _fill(rng.choice(_PROVIDER_REPLIES), rng, ctx)
