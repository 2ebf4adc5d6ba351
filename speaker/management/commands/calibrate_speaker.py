"""Fit the similarity score's calibration on real recordings; writes speaker/calibration.json."""

import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audioservices.weights import WeightsMissing
from speaker import calibrate
from speaker.calibration import CALIBRATION_FILE, load_calibration
from speaker.encoders import load_encoder

DEFAULT_DATA = settings.BASE_DIR.parent / "shared" / "data" / "dev" / "speech"


class Command(BaseCommand):
    help = ("Fit cosine -> 0-100 maps (logistic) on same/different-speaker pairs of real "
            "recordings, per encoder, into speaker/calibration.json.")

    def add_arguments(self, parser):
        parser.add_argument("--encoder", action="append", choices=["ge2e", "ecapa"],
                            help="encoder(s) to fit (default: ge2e)")
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                            help="folder with one sub-folder of recordings per speaker")

    def handle(self, *args, encoder, data, **options):
        if not data.is_dir():
            raise CommandError(f"no speech folder at {data}")
        fitted = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.exists() else {}
        fitted.setdefault("encoders", {})
        for name in encoder or ["ge2e"]:
            try:
                model = load_encoder(name, models_dir=settings.MODELS_DIR)
            except WeightsMissing as exc:
                raise CommandError(str(exc)) from exc
            maps = calibrate.fit(data, model, log=self.stdout.write)
            fitted["encoders"][name] = {
                **maps, "fitted_on": str(data.name if data == DEFAULT_DATA else data),
                "fitted_at": datetime.now(UTC).date().isoformat(),
            }
            self.stdout.write(json.dumps({name: maps}, indent=2))
        CALIBRATION_FILE.write_text(json.dumps(fitted, indent=2) + "\n")
        load_calibration.cache_clear()
        self.stdout.write(f"wrote {CALIBRATION_FILE}")
