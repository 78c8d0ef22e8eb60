"""The one cell identity, the grid built from it, and the xdist transport: direct unit tests."""
import json
from types import SimpleNamespace

from pytest_arbitrage import transport
from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.grid import build_grid
from pytest_arbitrage.providers.specs import parse_model_spec
from pytest_arbitrage.reports.cells import group_cells


def test_a_key_is_the_same_whatever_form_its_axes_came_in():
    a = CellKey("qa", "openai/m", "mipro", {"depth": 3, "demos": 2}, tier="api")
    b = CellKey.of({"task": "qa", "model": "openai/m", "optimizer": "mipro", "axes": {"demos": 2, "depth": 3}})
    assert a == b and hash(a) == hash(b)
    assert a.id == "qa-openai/m-mipro[demos:2,depth:3]"
    assert CellKey("qa", "openai/m", "none").id == "qa-openai/m-none", "no axes: nothing added to the id"


def test_records_and_reports_key_cells_the_same_way():
    key = CellKey("qa", "openai/m", "none", {"depth": 2}, tier="api")
    record = {**key.fields(), "example_id": "e1", "score": 1.0, "correct": True}
    [(grouped_key, cell)] = group_cells([record], []).items()
    assert grouped_key == key and cell.id == key.id and cell.tier == "api"


def test_the_grid_is_ordered_and_carries_axes_and_tiers():
    models = [parse_model_spec("openai/m"), parse_model_spec("llamacpp/smollm2-135m")]
    cells = build_grid(("a", "b"), models, ("none", "labeled"), axes_of=lambda t, o: [{"depth": 3} if t == "b" else {}])
    assert [c.id for c in cells][:4] == ["a-openai/m-none", "a-openai/m-labeled",
                                         "a-llamacpp/smollm2-135m-none", "a-llamacpp/smollm2-135m-labeled"]
    assert cells[-1].id == "b-llamacpp/smollm2-135m-labeled[depth:3]"
    assert [c.key.tier for c in cells[:4]] == ["api", "api", "local", "local"]


def test_a_cell_travels_on_its_teardown_report_and_leaves_other_properties_alone(tmp_path):
    info, records = {"task": "qa", "status": "passed"}, [{"example_id": "e1"}, {"example_id": "e2"}]
    report = SimpleNamespace(user_properties=[("arbitrage_n", 2), *transport.pack(info, records)])
    got_records, got_cells = [], []
    transport.unpack(report, on_records=got_records.extend, on_cell=got_cells.append)
    assert (got_records, got_cells, report.user_properties) == (records, [info], [("arbitrage_n", 2)])


def test_spooled_records_are_recovered_once_and_the_spool_removed(tmp_path):
    spool = transport.Spool(tmp_path, "run-1", "gw0")
    for i in range(3):
        spool.add(json.dumps({"example_id": f"e{i}"}))
    assert [r["example_id"] for r in transport.recover_spooled(tmp_path, "run-1")] == ["e0", "e1", "e2"]
    assert transport.recover_spooled(tmp_path, "run-1") == [] and not spool.path.exists()
