"""Chinese in every figure on a machine with no CJK font of its own (issue 15, point 2).

matplotlib is shown only its own bundled fonts (DejaVu: no Chinese) and the project's font
from the ``fonts`` extra: the system fonts (WenQuanYi, Noto CJK, … if the machine has
any) are hidden. Then every Chinese term the project prints and a real report figure must
draw without one "Glyph … missing" warning (warnings are errors here). The control test
hides the project's font too and expects those warnings: it shows the hiding works, so the
first test cannot pass thanks to a system font.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from chainsim import fonts
from chainsim.report.figures import forest
from chainsim.report.stats import Effect
from chainsim.vocabulary import STAGE_ZH, source_names, source_term, terms

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture
def no_system_fonts(monkeypatch):
    """matplotlib with its bundled fonts only, as on a machine without system fonts."""
    from matplotlib import font_manager as fm

    bundled = Path(matplotlib.get_data_path()).resolve()
    own = [f for f in fm.fontManager.ttflist if Path(f.fname).resolve().is_relative_to(bundled)]
    assert own and not any(k in Path(f.fname).name.lower() for f in own for k in fonts.CJK_FILES)
    monkeypatch.setattr(fm.fontManager, "ttflist", own)
    monkeypatch.setattr(fm, "findSystemFonts", lambda *a, **k: [])
    fm.fontManager._findfont_cached.cache_clear()
    with matplotlib.rc_context():
        yield
    fm.fontManager._findfont_cached.cache_clear()


def _chinese() -> list[str]:
    """Every Chinese string the vocabulary holds (what figures and the page can show)."""
    out = [t.zh for t in terms() if t.zh]
    out += list(STAGE_ZH) + [source_term(s).zh for s in source_names()]
    return [s for s in out if any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in s)]


def _draw(texts: list[str]) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for i, s in enumerate(texts):
        ax.text(0, i / max(len(texts), 1), s, fontsize=8)
    ax.set_title("招商 · 产业链 · 资金到位 · 亿元")
    fig.canvas.draw()
    plt.close(fig)


def test_the_project_font_is_installed():
    path = fonts.project_font()
    assert path is not None, "the 'fonts' extra is missing: pip install -e '.[fonts]' (./dev setup does)"
    assert path.suffix == ".otf" and path.stat().st_size > 5_000_000


def test_every_chinese_term_and_a_report_figure_draw_without_system_fonts(no_system_fonts, tmp_path):
    texts = _chinese()
    assert len(texts) > 50  # the vocabulary is there
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph … missing from font(s)" warning fails the test
        assert fonts.use_cjk() == fonts.FONT_FAMILY
        _draw(texts)
        effect = Effect(3.0, 1.0, 2.0, 0.2, 20, 4)
        forest(
            [("资金到位 · funds in place", [("以商招商", effect), ("领导招商", effect)])],
            "实验 · experiment",
            tmp_path / "forest.png",
        )
    assert (tmp_path / "forest.png").stat().st_size > 0


def test_a_run_plot_draws_without_system_fonts(no_system_fonts):
    """``chainsim.plot`` (results.frames) labels axes in both languages: no missing glyph."""
    import chainsim
    from paths import DEFAULT_SCENARIO

    cfg = chainsim.load(DEFAULT_SCENARIO, ["population.pool_size=20000", "calendar.burn_in_steps=10"])
    res = chainsim.run(cfg, replications=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = chainsim.plot(res, "funds_in_place_yi")
        fig.canvas.draw()
    assert any("\u4e00" <= c <= "\u9fff" for c in fig.axes[0].get_ylabel())  # Chinese was drawn


def test_control_without_the_project_font_glyphs_are_missing(no_system_fonts, monkeypatch):
    monkeypatch.setattr(fonts, "project_font", lambda: None)
    assert fonts.use_cjk() is None  # callers fall back to English labels
    with pytest.warns(UserWarning, match="Glyph .* missing from font"):
        _draw(["中文"])
