"""Task data against the programs that consume it."""
from pytest_arbitrage.tasks import DataSource, all_tasks


def test_every_task_labels_its_final_output_field_so_labeled_demos_carry_answers():
    """LabeledFewShot copies training examples as demos: a demo without the output field shows nothing."""
    for name, task in all_tasks().items():
        example = task.load(DataSource()).train[0]
        final_outputs = set(task.make_program().predictors()[-1].signature.output_fields)
        assert final_outputs & set(example.labels().keys()), f"{name}: no label named like {final_outputs}"
