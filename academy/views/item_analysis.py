"""Item analysis of a course's post-test, for trainers and administrators."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from academy.author.drafts import course_for
from academy.learning.errors import NotFound
from academy.learning.item_analysis import BANDS
from academy.learning.item_analysis_db import course_item_analysis
from academy.security import roles

bp = Blueprint("item_analysis", __name__)

# The histogram's drawing area in SVG user units; the bars share the plot's height.
CHART = {"width": 440, "height": 190, "left": 20, "bar": 36, "gap": 4, "plot": 130, "top": 20}


@bp.route("/courses/<slug>/item-analysis")
@roles("trainer", "administrator")
def report(slug: str):
    # Trainers see the analysis of the courses assigned to them, administrators of every course.
    try:
        course_for(current_user._get_current_object(), slug)
        version, analysis = course_item_analysis(slug)
    except NotFound:
        abort(404)
    bars = _bars(analysis.histogram) if analysis.histogram else []
    return render_template("item_analysis/report.html", slug=slug, version=version, analysis=analysis,
                           bars=bars, chart=CHART)


def _bars(histogram: tuple[int, ...]) -> list[dict]:
    """Geometry of the histogram's bars, scaled to the tallest; drawn server-side (no script)."""
    tallest = max(histogram) or 1
    bars = []
    for index, (band, count) in enumerate(zip(BANDS, histogram)):
        height = round(CHART["plot"] * count / tallest, 1)
        x = CHART["left"] + index * (CHART["bar"] + CHART["gap"])
        bars.append({"band": band, "count": count, "x": x, "y": CHART["top"] + CHART["plot"] - height,
                     "height": height, "middle": x + CHART["bar"] / 2})
    return bars
