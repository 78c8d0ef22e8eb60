"""The sweep: one benchmark per (task, model, optimizer) cell.

The plugin parametrizes `arb_cell` with the grid from the `--arb-*` options;
the fixtures provision the LM and the compiled program; every scored example is
recorded as it happens. `arb_evaluate` fails the cell, in words, when too many of
its LM calls failed, or when the gate (`--arb-compare` with `--arb-fail-on`) says so.
The same two lines are all a project of your own needs (README: "Your own project").
"""


def test_cell(arb_program, arb_evaluate):
    arb_evaluate(arb_program)
