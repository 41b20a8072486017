"""The book's presentation and analysis choices, in one place.

Thresholds, the indicators shown first, colours and dash patterns: every module reads them from here (the old
names, e.g. `load.GOVERNANCE_HEADLINE`, `metrics.SEASONALITY_MIN_MEAN`, `charts.SMALL_COUNT`, stay as aliases).
Pure constants: importing this module imports nothing else.
"""
from __future__ import annotations

# --------------------------------------------------------------------------- indicators
# The country_context indicator used as "the national homicide rate" beside each city.
NATIONAL_RATE = "wdi_homicide_rate"
# Country governance and organised-crime indicators shown first, in this order, where present.
GOVERNANCE_HEADLINE = ["wgi_rule_of_law", "wgi_control_of_corruption", "cpi_score",
                       "gitoc_criminality", "gitoc_resilience"]
# Event categories treated as interventions (estimated before/after); the others are context.
INTERVENTION_CATEGORIES = ["policing", "military", "social urbanism", "institutional reform", "law",
                           "prevention programme"]

# --------------------------------------------------------------------------- thresholds
# Per 100,000 at the peak: what the comparison calls a high-violence city.
HIGH_VIOLENCE = 50.0
# A seasonal pattern is not estimated from a series averaging fewer events than this a month: with a few
# events a month, one event more or less moves a month's ratio by tens of per cent.
SEASONALITY_MIN_MEAN = 10
# Below this many homicides a year, a rate's interval is drawn as a band.
SMALL_COUNT = 100
# Indicators with fewer years are listed in the text, not charted.
MIN_POINTS = 3
# A city's primary series needs rates in at least this many years (unless the registry says `population: none`).
MIN_RATE_YEARS = 5

# --------------------------------------------------------------------------- colours
# Okabe-Ito, reordered so the first colours are the most distinct on white; yellow last (low contrast).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
NATIONAL_COLOUR = "#6b6b6b"      # grey, >= 4.5:1 on white
EVENT_COLOUR = "#444444"
BREAK_COLOUR = "#8b1a1a"          # dark red, >= 4.5:1 on white; breaks also differ from events by dash
PERIOD_FILLS = ["#9e9e9e", "#c7b28a"]  # alternate neighbouring bands (grey, sand), drawn very light
# Greys, darkest first: titles and threshold rules; axis labels and band labels; axis lines; reference rules;
# bars of the years a claim does not compare; the grid.
INK = "#222222"
DARK_GREY = "#333333"
MID_GREY = "#888888"
REFERENCE_GREY = "#999999"
LIGHT_GREY = "#c8c8c8"
GRID_GREY = "#e6e6e6"

# --------------------------------------------------------------------------- dash patterns
SOLID = [1, 0]                    # a city's main series
DOTTED = [2, 2]                   # national rates and reference lines (half the peak, an even spread)
DASHED = [6, 3]                   # a claim's threshold
EVENT_DASH = [3, 3]               # dated events
COUNTERFACTUAL_DASH = [4, 3]      # the earlier trend continued (before/after charts)
BREAK_DASH = [8, 3, 2, 3]         # breaks in a series (dash-dot)
# A city's alternative series (the main series is solid, national rates dotted).
ALT_DASHES = [[6, 3], [10, 4], [4, 2, 1, 2], [8, 2, 2, 2], [1, 3]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge", "stroke"]

# --------------------------------------------------------------------------- legend selection
# Opacity of what a legend click did not pick: a city's own series, and the cities of the comparison.
FADED = 0.15
FADED_CITIES = 0.12
