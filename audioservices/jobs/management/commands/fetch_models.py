"""Download the model weights the services need into MODELS_DIR (needs internet)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audioservices import weights


class Command(BaseCommand):
    help = "Download model weights into MODELS_DIR and check their SHA-256 prefixes."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="models to fetch (default: all)")
        parser.add_argument("--force", action="store_true", help="download present files again")
        parser.add_argument("--check", action="store_true",
                            help="only list missing files; exit 1 when any is missing")

    def handle(self, *args, names, force, check, **options):
        unknown = sorted(set(names) - set(weights.names()))
        if unknown:
            raise CommandError(f"unknown model(s) {unknown}; known: {weights.names()}")
        missing_any = False
        for name in names or weights.names():
            model = weights.resolve(name)
            if check:
                missing = weights.missing_files(model, models_dir=settings.MODELS_DIR)
                missing_any |= bool(missing)
                status = "missing " + ", ".join(map(str, missing)) if missing else "complete"
                self.stdout.write(f"{name}: {status}")
                continue
            try:
                weights.download(model, models_dir=settings.MODELS_DIR, force=force,
                                 log=self.stdout.write)
            except (OSError, weights.WeightsCorrupt) as exc:
                raise CommandError(f"{name}: {exc}") from exc
        if missing_any:
            raise CommandError("some model weights are missing")
