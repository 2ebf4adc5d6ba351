"""``manage.py train_genre DATA_DIR``: train the genre model and write it as JSON weights."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mixer.genre import DEFAULT_MODEL_PATH, write_model
from mixer.genre_training import CLASSIFIERS, extra_clips, find_clips, train

REPORT_NAME = "TRAINING_REPORT.txt"


class Command(BaseCommand):
    help = ("Train the genre classifier from DATA_DIR/<class>/*.{wav,flac,mp3}, report "
            "held-out (by source track) precision/recall, and write the model file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("data_dir", type=Path)
        parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH,
                            help="model file to write (default: the one the service loads)")
        parser.add_argument("--extra", action="append", default=[], metavar="DIR=CLASS",
                            help="also train on every file in DIR as CLASS (repeatable)")
        parser.add_argument("--classifier", choices=CLASSIFIERS, default="logreg")
        parser.add_argument("--folds", type=int, default=4,
                            help="by-track folds for the held-out report (default 4)")
        parser.add_argument("--model-version", default="1.0.0")

    def handle(self, *args: object, **options: object) -> None:
        data_dir, out = Path(options["data_dir"]), Path(options["out"])
        try:
            clips = find_clips(data_dir)
            for spec in options["extra"]:
                clips += extra_clips(spec)
            outcome = train(clips, kind=str(options["classifier"]), folds=int(options["folds"]),
                            version=str(options["model_version"]), log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(outcome.report)
        write_model(outcome.model, out, training=outcome.metadata)
        sources = " ".join([str(data_dir), *(f"--extra {spec}" for spec in options["extra"])])
        header = f"genre model {outcome.model.version}: train_genre {sources}\n\n"
        (out.parent / REPORT_NAME).write_text(header + outcome.report + "\n", encoding="utf-8")
        self.stdout.write(f"wrote {out} and {out.parent / REPORT_NAME}")
