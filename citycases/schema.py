"""Schemas of the tidy tables: one definition drives validation, CSV formatting and datapackage.json."""
from __future__ import annotations

# Each field: (name, type, required, description[, extra constraints]).
# Types follow Frictionless Table Schema: string, integer, number, date-like strings are "string" with a pattern.
STATUS = ["final", "preliminary"]
EVENT_CATEGORIES = ["policing", "military", "social urbanism", "institutional reform", "law",
                    "criminal event", "political", "prevention programme"]
# A series break: what changes in a series at a date (the before/after estimate never fits a window across
# a definition or territory break; an exceptional event is named beside a peak it inflates).
BREAK_KINDS = ["definition", "territory", "population", "exceptional_event"]
# Context periods drawn as bands behind the trend charts.
PERIOD_KINDS = ["armed conflict", "criminal war", "truce", "hegemony", "security operation", "policy era"]
DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
DATE_DESCRIPTION = "YYYY-MM-DD, or YYYY-MM / YYYY when only that is known"

# How a hand-written row names its source: a registry id, or the page that states it.
SOURCED_FIELDS = [
    {"name": "source_id", "type": "string", "required": False, "description": "registry source, if any"},
    {"name": "citation", "type": "string", "required": False,
     "description": "publisher and title of the cited page, when not a registry source"},
    {"name": "citation_url", "type": "string", "required": False, "description": "URL of the cited page"},
]

TABLES: dict[str, dict] = {
    "homicides_annual": {
        "title": "Annual homicides by city and series",
        "description": "One row per city, series and year: the count, the population used as denominator, "
                       "and the rate per 100,000 (empty where no population is available).",
        "primary_key": ["city", "series", "year"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug (data/cities.yml)"},
            {"name": "year", "type": "integer", "required": True, "description": "calendar year",
             "constraints": {"minimum": 1950, "maximum": 2030}},
            {"name": "series", "type": "string", "required": True,
             "description": "which count: publisher and recording system (see data/cities.yml)"},
            {"name": "homicides", "type": "integer", "required": True, "description": "number of victims",
             "constraints": {"minimum": 0}},
            {"name": "population", "type": "integer", "required": False,
             "description": "population of the territorial unit (denominator)", "constraints": {"minimum": 1}},
            {"name": "homicide_rate", "type": "number", "required": False, "decimals": 3,
             "description": "homicides per 100,000 inhabitants", "constraints": {"minimum": 0}},
            {"name": "rate_ci_low", "type": "number", "required": False, "decimals": 3,
             "description": "lower limit of the exact (Garwood) 95% Poisson interval of the rate per 100,000",
             "constraints": {"minimum": 0}},
            {"name": "rate_ci_high", "type": "number", "required": False, "decimals": 3,
             "description": "upper limit of the exact (Garwood) 95% Poisson interval of the rate per 100,000",
             "constraints": {"minimum": 0}},
            {"name": "unit", "type": "string", "required": True,
             "description": "territory counted: municipality, province, county, country..."},
            {"name": "source_id", "type": "string", "required": True, "description": "source of the count"},
            {"name": "population_source_id", "type": "string", "required": False,
             "description": "source of the population"},
            {"name": "status", "type": "string", "required": True, "description": "final or preliminary",
             "constraints": {"enum": STATUS}},
        ],
    },
    "homicides_monthly": {
        "title": "Monthly homicides by city and series",
        "description": "One row per city, series and month.",
        "primary_key": ["city", "series", "month"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "month", "type": "string", "required": True, "description": "YYYY-MM",
             "constraints": {"pattern": r"^(19[5-9]\d|20[0-3]\d)-(0[1-9]|1[0-2])$"}},
            {"name": "homicides", "type": "integer", "required": True, "description": "number of victims",
             "constraints": {"minimum": 0}},
            {"name": "series", "type": "string", "required": True, "description": "which count"},
            {"name": "source_id", "type": "string", "required": True, "description": "source of the count"},
        ],
    },
    "homicides_subcity": {
        "title": "Annual homicides by area within a city",
        "description": "One row per city, area (comuna, police district...) and year.",
        "primary_key": ["city", "area_id", "year"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "year", "type": "integer", "required": True, "description": "calendar year",
             "constraints": {"minimum": 1950, "maximum": 2030}},
            {"name": "area_id", "type": "string", "required": True, "description": "area code used by the publisher"},
            {"name": "area_name", "type": "string", "required": True, "description": "area name"},
            {"name": "area_type", "type": "string", "required": True, "description": "comuna, police district..."},
            {"name": "homicides", "type": "integer", "required": True, "description": "number of victims",
             "constraints": {"minimum": 0}},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
    "indicators": {
        "title": "City indicators of violence and governance beyond homicides",
        "description": "Long table: one row per city, indicator and year. Labels in indicator_definitions.",
        "primary_key": ["city", "indicator", "year"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "year", "type": "integer", "required": True, "description": "calendar year",
             "constraints": {"minimum": 1950, "maximum": 2030}},
            {"name": "indicator", "type": "string", "required": True, "description": "indicator id"},
            {"name": "value", "type": "number", "required": True, "decimals": 4, "description": "value"},
            {"name": "unit", "type": "string", "required": True, "description": "unit of the value"},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
    "indicators_monthly": {
        "title": "City indicators by month (counts of incidents other than homicides)",
        "description": "Long table: one row per city, indicator and complete month. Labels in "
                       "indicator_definitions (the same ids as the annual indicators they add up to).",
        "primary_key": ["city", "indicator", "month"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "month", "type": "string", "required": True, "description": "YYYY-MM",
             "constraints": {"pattern": r"^(19[5-9]\d|20[0-3]\d)-(0[1-9]|1[0-2])$"}},
            {"name": "indicator", "type": "string", "required": True, "description": "indicator id"},
            {"name": "value", "type": "number", "required": True, "decimals": 4, "description": "value"},
            {"name": "unit", "type": "string", "required": True, "description": "unit of the value"},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
    "country_context": {
        "title": "Country context: national homicide rate, governance and organised-crime indices",
        "description": "Long table: one row per country (ISO3), indicator and year.",
        "primary_key": ["country", "indicator", "year"],
        "fields": [
            {"name": "country", "type": "string", "required": True, "description": "ISO 3166-1 alpha-3",
             "constraints": {"pattern": "^[A-Z]{3}$"}},
            {"name": "year", "type": "integer", "required": True, "description": "calendar year",
             "constraints": {"minimum": 1950, "maximum": 2030}},
            {"name": "indicator", "type": "string", "required": True, "description": "indicator id"},
            {"name": "value", "type": "number", "required": True, "decimals": 4, "description": "value"},
            {"name": "unit", "type": "string", "required": True, "description": "unit of the value"},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
    "indicator_definitions": {
        "title": "What each indicator id means",
        "description": "Labels and definitions for the indicator ids in indicators, indicators_monthly and "
                       "country_context.",
        "primary_key": ["indicator"],
        "fields": [
            {"name": "indicator", "type": "string", "required": True, "description": "indicator id"},
            {"name": "label", "type": "string", "required": True, "description": "short label for charts"},
            {"name": "definition", "type": "string", "required": True, "description": "what is counted or measured"},
            {"name": "unit", "type": "string", "required": True, "description": "unit"},
            {"name": "scope", "type": "string", "required": True, "description": "city or country",
             "constraints": {"enum": ["city", "country"]}},
        ],
    },
    "events": {
        "title": "Dated interventions and turning points",
        "description": "One row per city and dated event; each carries a registry source or a citation URL.",
        "primary_key": ["city", "date", "title"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "date", "type": "string", "required": True,
             "description": DATE_DESCRIPTION, "constraints": {"pattern": DATE_PATTERN}},
            {"name": "category", "type": "string", "required": True, "description": "kind of event",
             "constraints": {"enum": EVENT_CATEGORIES}},
            {"name": "title", "type": "string", "required": True, "description": "what happened (our words)"},
            *SOURCED_FIELDS,
        ],
    },
    "breaks": {
        "title": "Breaks in the series: changes of definition, territory or population base, exceptional events",
        "description": "One row per city, date and series (or 'all' of the city's series); written by hand in "
                       "data/breaks.csv, each with a registry source or a citation URL.",
        "primary_key": ["city", "date", "series", "kind"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "date", "type": "string", "required": True,
             "description": "when the change takes effect: " + DATE_DESCRIPTION,
             "constraints": {"pattern": DATE_PATTERN}},
            {"name": "series", "type": "string", "required": True,
             "description": "series id of the city (data/cities.yml), or 'all' for every series of the city"},
            {"name": "kind", "type": "string", "required": True, "description": "what breaks",
             "constraints": {"enum": BREAK_KINDS}},
            {"name": "description", "type": "string", "required": True,
             "description": "what changes and which way it moves the series (our words)"},
            *SOURCED_FIELDS,
        ],
    },
    "periods": {
        "title": "Context periods: conflicts, truces, hegemonies, security operations and policy eras",
        "description": "One row per city and period; written by hand in data/periods/<slug>.csv, each with a "
                       "registry source or a citation URL.",
        "primary_key": ["city", "start", "label"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "start", "type": "string", "required": True, "description": "start: " + DATE_DESCRIPTION,
             "constraints": {"pattern": DATE_PATTERN}},
            {"name": "end", "type": "string", "required": False,
             "description": "end: " + DATE_DESCRIPTION + "; empty while the period goes on",
             "constraints": {"pattern": DATE_PATTERN}},
            {"name": "label", "type": "string", "required": True, "description": "short name (chart band)",
             "constraints": {"maxLength": 40}},
            {"name": "kind", "type": "string", "required": True, "description": "kind of period",
             "constraints": {"enum": PERIOD_KINDS}},
            {"name": "description", "type": "string", "required": True,
             "description": "what was happening, for a reader new to the city (our words)"},
            *SOURCED_FIELDS,
        ],
    },
    "differences": {
        "title": "Why the book's figures differ from figures published elsewhere",
        "description": "One row per city, years and series where a published figure for the same place and "
                       "years differs from the book's; written by hand in data/differences.csv, each with the page "
                       "that publishes the other figure.",
        "primary_key": ["city", "years", "series", "compared_with"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "years", "type": "string", "required": True, "description": "a year, or a range YYYY-YYYY",
             "constraints": {"pattern": r"^\d{4}(-\d{4})?$"}},
            {"name": "series", "type": "string", "required": True, "description": "the book's series id"},
            {"name": "compared_with", "type": "string", "required": True,
             "description": "who published the other figure and what it counts"},
            {"name": "explanation", "type": "string", "required": True,
             "description": "why the two differ (our words)"},
            {"name": "citation", "type": "string", "required": True, "description": "the page publishing it"},
            {"name": "citation_url", "type": "string", "required": True, "description": "its URL"},
        ],
    },
    # ---- evaluations (citycases/derive/evaluation_areas.py; read by citycases/evaluations.py) ----
    "homicides_area_panel": {
        "title": "Homicides and lethal violence by small area and period, for the evaluations",
        "description": "One row per city, small area (barrio, UPP area, police district), outcome and period "
                       "(a year or a month): the panels the Evaluations chapter re-runs published evaluations on. "
                       "Zero where the area's records hold no victim in a period the source covers.",
        "primary_key": ["city", "area_type", "area_id", "outcome", "period"],
        "fields": [
            {"name": "city", "type": "string", "required": True, "description": "city slug"},
            {"name": "period", "type": "string", "required": True, "description": "YYYY or YYYY-MM",
             "constraints": {"pattern": r"^(19[5-9]\d|20[0-3]\d)(-(0[1-9]|1[0-2]))?$"}},
            {"name": "area_type", "type": "string", "required": True,
             "description": "barrio, upp_area (area of a Pacifying Police Unit) or police_district (CISP)"},
            {"name": "area_id", "type": "string", "required": True, "description": "area code used by the publisher"},
            {"name": "area_name", "type": "string", "required": True, "description": "area name"},
            {"name": "parent_area_id", "type": "string", "required": False,
             "description": "the larger area holding it, where the source says (a barrio's comuna)"},
            {"name": "outcome", "type": "string", "required": True,
             "description": "homicides, lethal_violence (ISP letalidade violenta, police killings included) or "
                            "police_killings (deaths from intervention by state agents)",
             "constraints": {"enum": ["homicides", "lethal_violence", "police_killings"]}},
            {"name": "intervention_start", "type": "string", "required": False,
             "description": "date the area's intervention began, where the source gives one (UPP installation)",
             "constraints": {"pattern": DATE_PATTERN}},
            {"name": "intervention_end", "type": "string", "required": False,
             "description": "date the area's intervention ended, where the source gives one (UPP closure)",
             "constraints": {"pattern": DATE_PATTERN}},
            {"name": "victims", "type": "integer", "required": True, "description": "number of victims",
             "constraints": {"minimum": 0}},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
    "homicides_colombia_capitals": {
        "title": "Homicide victims by year in Colombia's departmental capitals (National Police)",
        "description": "One row per departmental capital (as the Police's municipal file marks them) and year: the "
                       "city-level panel on which the Evaluations chapter makes its coarse re-run of policing by "
                       "quadrants. Population is DANE's projection carried in the same file.",
        "primary_key": ["area_id", "year"],
        "fields": [
            {"name": "area_id", "type": "string", "required": True,
             "description": "5-digit DIVIPOLA (DANE) municipality code", "constraints": {"pattern": r"^\d{5}$"}},
            {"name": "area_name", "type": "string", "required": True, "description": "municipality, as the file names it"},
            {"name": "department", "type": "string", "required": True, "description": "department, as the file names it"},
            {"name": "year", "type": "integer", "required": True, "description": "calendar year"},
            {"name": "homicides", "type": "integer", "required": True, "description": "homicide victims",
             "constraints": {"minimum": 0}},
            {"name": "population", "type": "integer", "required": False, "description": "DANE population projection",
             "constraints": {"minimum": 0}},
            {"name": "source_id", "type": "string", "required": True, "description": "source"},
        ],
    },
}

# Hand-written tables: data/events/<slug>.csv, data/breaks.csv, data/periods/<slug>.csv.
HAND_TABLES = ["events", "breaks", "periods", "differences"]

EVENT_COLUMNS = [f["name"] for f in TABLES["events"]["fields"] if f["name"] != "city"]
PERIOD_COLUMNS = [f["name"] for f in TABLES["periods"]["fields"] if f["name"] != "city"]
BREAK_COLUMNS = [f["name"] for f in TABLES["breaks"]["fields"]]
DIFFERENCE_COLUMNS = [f["name"] for f in TABLES["differences"]["fields"]]


def columns(table: str) -> list[str]:
    return [f["name"] for f in TABLES[table]["fields"]]
