"""The campaign of issue 17's “done when”, shared by its browser test
(tests/browser/test_campaign_from_scratch.py) and its API test
(tests/api/test_campaign_api_flow.py): the articles, the annotators, their claims."""

from __future__ import annotations

import json

HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Offshore wind '
    'auction draws record bids</title><meta name="author" content="Jonas Berg"></head><body>'
    '<nav><a href="/">Home</a></nav><article><h1>Offshore wind auction draws record bids</h1>'
    "<p>The energy ministry said the auction drew bids for twice the capacity on offer.</p>"
    "<p>Industry groups called the result a turning point; critics said the subsidies were "
    "too generous.</p></article></body></html>"
)
JSONL = json.dumps(
    {
        "title": "Rüzgâr santrali için yeni ihale",
        "byline": "Ayşe Yılmaz",
        "text": "Rüzgâr santrali için yeni ihale\n\nBakanlık, Ege kıyısında yeni bir rüzgâr "
        "santrali ihalesi açılacağını duyurdu.\n\nYerel halk projeye karşı çıktı.",
    },
    ensure_ascii=False,
)
ZIPPED = (
    "Grid operator warns of bottlenecks\n\nBy Lena Novak\n\nThe grid operator warned that "
    "new lines are needed before more turbines connect.\n\nThe regulator disagreed."
)
WEB_TITLE = "Turbine maker cuts jobs"
WEB_BODY = (
    "The turbine maker said it would cut 400 jobs as orders slowed.\n\n"
    "Unions said the cuts were avoidable and called for talks with the government.\n\n"
    "The company expects demand to recover next year, its chief executive said."
)
PASSWORDS = {"ana": "offshore-wind-2031-a", "ben": "offshore-wind-2031-b"}
# What each annotator marks, and the check-worthiness they give it ("maybe" is the value
# the manager adds to the preset).
CLAIMS = {
    "ana": ("the auction drew bids for twice the capacity on offer", "maybe"),
    "ben": ("critics said the subsidies were too generous", "yes"),
}
