"""Server-side charts: accessible, scaled by viewBox, every text escaped, gaps for periods
without answers."""

from zabota.surveys.svg import Point, bar_list, trend_chart


def test_trend_chart_is_accessible_and_escapes_labels():
    svg = trend_chart(
        "c1",
        [Point("<b>Jan</b>", 10, 3), Point("Feb", None), Point("Mar", -20, 5), Point("Apr", 30, 2)],
        title="NPS & more",
        desc="Jan: 10",
        low=-100,
        high=100,
    )
    assert svg.startswith('<svg class="chart" id="c1"')
    assert 'viewBox="0 0 560 210"' in svg and 'role="img"' in svg
    assert '<title id="c1-title">NPS &amp; more</title>' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert "<b>" not in svg and "&lt;b&gt;Jan&lt;/b&gt;" in svg
    # Feb has no answers: the line breaks there (one polyline for Mar–Apr only), 3 points
    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 3
    assert "Mar: -20 (5)" in svg


def test_bar_chart_marks_negative_values_and_escapes_names():
    svg = bar_list(
        "c2",
        [Point('<script>alert("x")</script>', 40, 12), Point("Kiosk", -25, 4), Point("QR", None)],
        title="NPS per channel",
        desc="",
        low=-100,
        high=100,
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count('fill="#d0393e"') == 1  # the one negative bar is red
    assert ">—</text>" in svg  # no answers: a dash, no bar
    assert ">-25</text>" in svg and ">40</text>" in svg
