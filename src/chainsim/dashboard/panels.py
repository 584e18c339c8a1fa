"""The dashboard's control column: run controls, the levers (applied on Reset) and the model in use.

Components of :func:`chainsim.dashboard.app.Page`; every word comes from the vocabulary
(:mod:`chainsim.dashboard.labels`). The column never re-renders on a step. An on/off
switch says its state in words next to its label ("· on" / "· 开"), so it reads without
telling colours apart (:func:`OnOff`).
"""

from __future__ import annotations

from pathlib import Path

import solara

from chainsim.config.loader import ScenarioError
from chainsim.dashboard import controls as C
from chainsim.dashboard.classroom import ENSEMBLE_RUNS, Session
from chainsim.dashboard.labels import Lang, t, title


def OnOff(label: str, value: bool, L: Lang, on_value, disabled: bool = False) -> None:
    """A switch labelled with its state: "Leader-led promotion · on" (track filled when on)."""
    state = t("state_on" if value else "state_off", L)
    solara.Switch(
        label=f"{label} · {state}",
        value=value,
        disabled=disabled,
        on_value=on_value,
        color="#283593",
        classes=["chainsim-switch", "chainsim-on" if value else "chainsim-off"],
    )


@solara.component
def RunPanel(L: Lang, playing, running: bool, speed, advance, do_reset, spread):
    with solara.Card(t("run", L)):
        with solara.Row():
            solara.Button(label=t("reset", L), color="primary", on_click=do_reset)
            solara.Button(
                label="❚❚" if playing.value else "▶",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=not running,
            )
            solara.Button(
                label=t("step", L), color="primary", on_click=advance, disabled=playing.value or not running
            )
        solara.SliderInt(t("speed", L, v=speed.value), value=speed, min=1, max=20)
        # acts at once (the batch runs anyway): no Reset needed to see or hide the spread
        OnOff(t("spread", L, n=ENSEMBLE_RUNS), spread.value, L, spread.set)
        if not running:
            solara.Info(t("finished", L), dense=True)


@solara.component
def LeverPanel(levers, L: Lang, error, scenario: str):
    """``scenario``: the page's default scenario, whose folder the scenario choices come from."""
    lv: C.Levers = levers.value

    def set_(**changes) -> None:
        levers.value = levers.value.replace(**changes)

    def set_scenario(path: str) -> None:
        try:
            levers.value = C.defaults(path, seed=levers.value.seed)
            error.value = ""
        except ScenarioError as err:
            error.value = str(err)

    def set_seed(text: str) -> None:
        try:
            set_(seed=C.parse_seed(text))
            error.value = ""
        except ScenarioError:
            error.value = t("seed_error", L)

    def switch(key: str, lever: str, disabled: bool = False) -> None:
        """The on/off switch of a strategy or reform (``key``: its vocabulary term)."""
        OnOff(title(key, L), getattr(lv, lever), L, lambda v: set_(**{lever: v}), disabled)

    def slider(widget, lever: str, strategy_on: str, **scale: float) -> None:
        """A lever's slider, labelled with its value, greyed out while its strategy is off."""
        value = getattr(lv, lever)
        widget(
            t(lever, L, v=value),
            value=value,
            on_value=lambda v: set_(**{lever: v}),
            disabled=not getattr(lv, strategy_on),
            **scale,
        )

    with solara.Card(t("levers", L)):
        solara.Text(t("levers_hint", L), classes=["chainsim-note"])
        # file names, not paths: a path does not fit the column (the choices share one folder)
        files = {Path(p).name: p for p in C.scenario_choices(scenario)}
        solara.Select(
            t("scenario", L),
            values=list(files),
            value=Path(lv.scenario).name,
            on_value=lambda f: set_scenario(files[f]),
        )
        solara.InputText(t("seed", L), value=str(lv.seed), on_value=set_seed, continuous_update=False)
        switch("strategy.leader_led", "leader_on")
        slider(solara.SliderFloat, "leader_trips", "leader_on", min=0.0, max=3.0, step=0.25)
        switch("strategy.chain_based", "chain_on")
        slider(solara.SliderFloat, "precision", "chain_on", min=0.0, max=1.0, step=0.05)
        slider(solara.SliderFloat, "effort", "chain_on", min=0.0, max=3.0, step=0.25)
        solara.Text(t("precision_note", L), classes=["chainsim-note"])
        switch("strategy.commissioners", "commissioners_on")
        slider(solara.SliderInt, "slots", "commissioners_on", min=0, max=100)
        for reform in C.REFORMS:
            switch(f"reform.{reform}", reform, disabled=not lv.commissioners_on)
        if error.value:
            solara.Error(error.value, dense=True)


@solara.component
def InUse(session: Session, L: Lang, generation: int):
    """The parameters of the model now running, read back from its configuration."""
    b = session.built
    cfg = b.model.config
    s = cfg.strategies
    trips = {"city": 0, "county": 0}
    for w in s.leader_led.trips.values():
        trips[w.level] += w.trips
    off = t("strategy_off", L)
    lines = [
        t("in_use_scenario", L, name=cfg.name, seed=b.levers.seed, pool=cfg.population.pool_size),
        t("in_use_trips", L, **trips)
        if s.leader_led.enabled
        else f"{title('strategy.leader_led', L)}: {off}",
        (
            t(
                "in_use_chain",
                L,
                contacts=sum(g.contacts_per_step for g in s.chain_based.groups.values()),
                precision=s.chain_based.targeting_precision,
            )
            if s.chain_based.enabled
            else f"{title('strategy.chain_based', L)}: {off}"
        ),
    ]
    if s.commissioners.enabled:
        on = [title(f"reform.{r}", L) for r in C.REFORMS if getattr(s.commissioners.reforms, r).enabled]
        lines += [
            t("in_use_comm", L, slots=s.commissioners.slots),
            t("in_use_reforms", L, reforms=", ".join(on) or t("none", L)),
        ]
    else:
        lines.append(f"{title('strategy.commissioners', L)}: {off}")
    with solara.Card(t("in_use", L)):
        for line in lines:
            solara.Text(line, classes=["chainsim-in-use"], style={"display": "block"})
        solara.Text(
            t("command", L), classes=["chainsim-note"], style={"display": "block", "margin-top": "6px"}
        )
        solara.Text(C.command(b.levers, b.base), classes=["chainsim-command"])
