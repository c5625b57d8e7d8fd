from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from videos.recommendations import evaluation
from videos.recommendations.rankers import ranker_by_name, semantic_available


class Command(BaseCommand):
    help = (
        "Measure recommendation quality on the labelled evaluation set: hit@1 and hit@3 of "
        "each ranker (the semantic one only when requirements/ml.txt is installed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", default=str(evaluation.DEFAULT_EVAL_FILE), help="Evaluation set (JSON)."
        )
        parser.add_argument(
            "--ranker", choices=["lexical", "semantic", "all"], default="all", help="Which."
        )
        parser.add_argument(
            "--misses", action="store_true", help="List the questions missed at rank 1."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No evaluation set at {path}.")
        data = evaluation.load(path)
        names = ["lexical", "semantic"] if options["ranker"] == "all" else [options["ranker"]]
        if "semantic" in names and not semantic_available():
            if options["ranker"] == "semantic":
                raise CommandError("The semantic ranker needs requirements/ml.txt installed.")
            self.stdout.write("semantic: skipped (requirements/ml.txt is not installed)")
            names.remove("semantic")
        self.stdout.write(
            f"{len(data['questions'])} questions, {len(data['videos'])} videos\n"
            f"{'ranker':<10} {'hit@1':>6} {'hit@3':>6}"
        )
        for name in names:
            result = evaluation.evaluate(ranker_by_name(name), data)
            self.stdout.write(
                f"{result.ranker:<10} {result.hit_at_1:>6.3f} {result.hit_at_3:>6.3f}"
            )
            if options["misses"]:
                for miss in result.misses:
                    self.stdout.write(
                        f"  {miss.question_id}: expected {', '.join(miss.expected)}; "
                        f"got {', '.join(miss.ranked)}"
                    )
