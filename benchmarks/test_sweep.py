"""The sweep: one benchmark per (task, model, optimizer) cell.

The plugin parametrizes `arb_cell` with the grid from the `--arb-*` options;
the fixtures provision the LM and the compiled program; every scored example is
recorded as it happens. A cell fails only when too many of its LM calls failed.
"""


def test_cell(arb_settings, arb_program, arb_evaluate):
    outcome = arb_evaluate(arb_program)
    allowed = arb_settings.max_error_rate
    assert outcome.n > 0, "the cell had no test examples"
    assert outcome.error_rate <= allowed, outcome.error_message()
