"""Every word chainsim prints, in English and Chinese: the one home of the terms.

Stages, signing sources, strategies, reforms, indicators and the words of the summary,
report, analysis and dashboard are :class:`Term` s under a dotted key (``kind.name``, e.g.
``metric.funds_in_place_yi``, ``source.anchor_referral``, ``ui.run``). Look them up at
call time with :func:`term` or :func:`label`; an unknown key falls back to its bare name,
so a label is never missing and a lookup never crashes. Chinese terms follow the source
article's wording (docs/reference/FACTS.md) where it has one.

A promotion strategy added at run time adds its signing source with
:func:`register_source`: ``SOURCE_NAMES`` grows in place (codes are list indices, the
built-ins first in :class:`Source` order), so code that reads it when it runs sees the
new source; :func:`source_names` returns a copy of the current list.

The Chinese names of the scenario fields that sweeps vary are :data:`FIELD_ZH` (by schema
path; the English is each field's title in the schema, :mod:`chainsim.sweep.labels` joins
them). The terms are defined in :mod:`.codes` (stages and signing sources) and :mod:`.tables`
(everything else; the dashboard's words in :mod:`.dashboard_words`); :mod:`.core` holds :class:`Term` and the lookups, :mod:`.outcomes` the
terms of summary.json paths. Import them all from here.
"""

from __future__ import annotations

from chainsim.vocabulary import dashboard_words as _dashboard_words  # noqa: F401  (the page's terms)
from chainsim.vocabulary import tables as _tables  # noqa: F401  (defines the terms)
from chainsim.vocabulary.codes import (
    SOURCE_NAMES,
    SOURCE_ZH,
    STAGE_NAMES,
    STAGE_ZH,
    Source,
    Stage,
    register_source,
    source_code,
    source_names,
    source_term,
    sources_restored,
    stage_term,
    unregister_source,
)
from chainsim.vocabulary.core import (
    LANGS,
    Lang,
    Term,
    capital,
    known,
    label,
    metric_term,
    strategy_term,
    term,
    terms,
)
from chainsim.vocabulary.outcomes import outcome_label, outcome_term
from chainsim.vocabulary.tables import FIELD_ZH, field_zh

__all__ = [
    "FIELD_ZH",
    "LANGS",
    "SOURCE_NAMES",
    "SOURCE_ZH",
    "STAGE_NAMES",
    "STAGE_ZH",
    "Lang",
    "Source",
    "Stage",
    "Term",
    "capital",
    "field_zh",
    "known",
    "label",
    "metric_term",
    "outcome_label",
    "outcome_term",
    "register_source",
    "source_code",
    "source_names",
    "source_term",
    "sources_restored",
    "stage_term",
    "strategy_term",
    "term",
    "terms",
    "unregister_source",
]
